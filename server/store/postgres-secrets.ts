import type { KeyEncryptionKey } from './kek.ts';
import { query, type Pool } from './postgres/pool.ts';
import { generateSecretValue, SECRET_NAMES, type Secrets, secretsFromValues } from './secrets.ts';

/** Associated data of a sealed secret: its name, so a value moved to another row does not open. */
export const secretSealContext = (name: string) => `hashing-secret:${name}`;

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
  const sealed = SECRET_NAMES.map((n) => kek.seal(options.seed?.[n] ?? generateSecretValue(), secretSealContext(n)));
  await query(
    pool,
    `INSERT INTO hashing_secrets (name, sealed, created_at)
       SELECT name, sealed, $3 FROM unnest($1::text[], $2::bytea[]) AS fresh (name, sealed)
     ON CONFLICT (name) DO NOTHING`,
    [names, sealed, now],
  );
  const { rows } = await query<{ name: string; sealed: Buffer }>(pool, 'SELECT name, sealed FROM hashing_secrets WHERE name = ANY($1::text[])', [names]);
  const values = new Map(rows.map((r) => [r.name, kek.open(r.sealed, secretSealContext(r.name))] as const));
  return secretsFromValues(values, 'PostgreSQL table hashing_secrets');
}

/** What adoptSecrets found: the seed stored now, or stored by an earlier adoption. */
export type Adoption = 'adopted' | 'already_adopted';

/**
 * Stores `seed` (a SQLite deployment's secrets.json) as PostgreSQL's hashing secrets, so that mobile
 * hashes, pseudonymous subjects and API key hashes stay what they were. Refuses (SecretsConflict)
 * when PostgreSQL already holds other values: a service has started on it and hashed with them, and
 * overwriting would orphan what it stored.
 */
export async function adoptSecrets(pool: Pool, kek: KeyEncryptionKey, seed: Secrets): Promise<Adoption> {
  const { rows } = await query<{ n: number }>(pool, 'SELECT count(*)::int AS n FROM hashing_secrets WHERE name = ANY($1::text[])', [[...SECRET_NAMES]]);
  const before = rows[0]!.n;
  const stored = await loadPostgresSecrets(pool, kek, { seed });
  const differing = SECRET_NAMES.filter((n) => !stored[n].equals(seed[n]));
  if (differing.length > 0) throw new SecretsConflict(differing);
  return before === SECRET_NAMES.length ? 'already_adopted' : 'adopted';
}

export class SecretsConflict extends Error {
  readonly code = 'secrets_conflict';
  constructor(readonly names: readonly string[]) {
    super(`PostgreSQL already holds other hashing secrets (${names.join(', ')}): a service has started on this database and hashed with them; adopt into a fresh database, before the first start`);
    this.name = 'SecretsConflict';
  }
}
