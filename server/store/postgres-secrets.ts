import type { KeyEncryptionKey } from './kek.ts';
import { query, type Pool } from './postgres/pool.ts';
import { generateSecretValue, SECRET_NAMES, type Secrets, secretsFromValues } from './secrets.ts';

/** Associated data of a sealed secret: its name, so a value moved to another row does not open. */
const sealContext = (name: string) => `hashing-secret:${name}`;

/**
 * The hashing secrets from PostgreSQL (table hashing_secrets, migration 002), sealed under `kek`;
 * the same Secrets object as loadSecrets(dataDir). Generated once cluster-wide: every process
 * offers fresh values with INSERT … ON CONFLICT DO NOTHING, then reads back what is stored, so N
 * processes starting at once all end up with the first writer's values. A secret name added in a
 * later version is generated the same way next to the existing ones.
 *
 * `seed`: values to store instead of fresh random ones where a name has none yet — e.g. the data
 * dir's secrets.json when moving a deployment from SQLite, so mobile hashes and pseudonymous
 * subjects stay the same. Never overwrites a stored secret.
 *
 * Throws a KekError (kek_mismatch) when the secrets were sealed under another KEK.
 */
export async function loadPostgresSecrets(pool: Pool, kek: KeyEncryptionKey, options: { seed?: Secrets } = {}): Promise<Secrets> {
  const now = Date.now();
  const names: string[] = [...SECRET_NAMES];
  const sealed = SECRET_NAMES.map((n) => kek.seal(options.seed?.[n] ?? generateSecretValue(), sealContext(n)));
  await query(
    pool,
    `INSERT INTO hashing_secrets (name, sealed, created_at)
       SELECT name, sealed, $3 FROM unnest($1::text[], $2::bytea[]) AS fresh (name, sealed)
     ON CONFLICT (name) DO NOTHING`,
    [names, sealed, now],
  );
  const { rows } = await query<{ name: string; sealed: Buffer }>(pool, 'SELECT name, sealed FROM hashing_secrets WHERE name = ANY($1::text[])', [names]);
  const values = new Map(rows.map((r) => [r.name, kek.open(r.sealed, sealContext(r.name))] as const));
  return secretsFromValues(values, 'PostgreSQL table hashing_secrets');
}
