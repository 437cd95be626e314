import { keySealContext } from '../signing/postgres-key-store.ts';
import type { KeyEncryptionKey } from './kek.ts';
import { inTransaction, type Pool } from './postgres/pool.ts';
import { secretSealContext } from './postgres-secrets.ts';

/** Every sealed column in the schema: its rows, how to rewrite one, and the record's sealing context. */
const SEALED = [
  {
    rows: 'SELECT name AS id, sealed FROM hashing_secrets ORDER BY name FOR UPDATE',
    update: 'UPDATE hashing_secrets SET sealed = $2 WHERE name = $1',
    context: secretSealContext,
  },
  {
    rows: 'SELECT kid AS id, private_key_sealed AS sealed FROM signing_keys ORDER BY generation FOR UPDATE',
    update: 'UPDATE signing_keys SET private_key_sealed = $2 WHERE kid = $1',
    context: keySealContext,
  },
] as const;

export interface ResealReport {
  /** Records sealed under the previous KEK, now under the current one. */
  resealed: number;
  /** Records already under the current KEK. */
  current: number;
}

/**
 * The second step of a KEK change (docs/scaling.md): every record sealed under the previous KEK
 * is opened and sealed again under the current one, in one transaction (all or none; the rows are
 * locked, so a key rotation meanwhile waits). A record neither KEK opens stops it (KekError).
 */
export async function resealAll(pool: Pool, kek: KeyEncryptionKey): Promise<ResealReport> {
  return inTransaction(pool, async (client) => {
    const report: ResealReport = { resealed: 0, current: 0 };
    for (const table of SEALED) {
      const { rows } = await client.query<{ id: string; sealed: Buffer }>(table.rows);
      for (const { id, sealed } of rows) {
        if (kek.sealedUnderThis(sealed)) {
          report.current++;
          continue;
        }
        const plaintext = kek.open(sealed, table.context(id));
        try {
          await client.query(table.update, [id, kek.seal(plaintext, table.context(id))]);
        } finally {
          plaintext.fill(0);
        }
        report.resealed++;
      }
    }
    return report;
  });
}
