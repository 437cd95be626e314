import fs from 'node:fs';
import path from 'node:path';
import type { JWK } from 'jose';
import type { KeyEncryptionKey } from '../store/kek.ts';
import { inTransaction, type Pool } from '../store/postgres/pool.ts';
import { importSigningKey, KEY_FILES, type KeySchedule } from './key-store.ts';
import { keySealContext } from './postgres-key-store.ts';

/** A data dir's signing key as FileKeyStore keeps it: its schedule, public JWK and PKCS#8 PEM. */
interface FileKey {
  schedule: KeySchedule;
  publicJwk: JWK;
  privatePem: string;
}

/** A data dir's signing keys that cannot be read or do not hold together. */
export class KeyFilesError extends Error {
  readonly code = 'key_files_invalid';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KeyFilesError';
  }
}

/** PostgreSQL already holds other signing keys: a service has started on it. */
export class KeysConflict extends Error {
  readonly code = 'keys_conflict';
  constructor() {
    super('PostgreSQL already holds other signing keys: a service has started on this database and signed with them; adopt into a fresh database, before the first start');
    this.name = 'KeysConflict';
  }
}

/**
 * The signing keys of a SQLite deployment's data dir (`<dataDir>/keys`: manifest.json, and per key
 * its public JWK and private PEM), in manifest order, each private key checked against its kid;
 * null when the data dir has none (it never served).
 */
export async function readFileKeys(dataDir: string): Promise<FileKey[] | null> {
  const dir = KEY_FILES.dir(dataDir);
  const read = (name: string) => {
    try {
      return fs.readFileSync(path.join(dir, name), 'utf8');
    } catch (err) {
      throw new KeyFilesError(`${path.join(dir, name)}: ${(err as NodeJS.ErrnoException).code ?? 'unreadable'}`, { cause: err });
    }
  };
  if (!fs.existsSync(path.join(dir, KEY_FILES.manifest))) return null;
  const manifest = read(KEY_FILES.manifest);
  let schedules: KeySchedule[];
  try {
    schedules = (JSON.parse(manifest) as { keys: KeySchedule[] }).keys;
  } catch (err) {
    throw new KeyFilesError(`${path.join(dir, KEY_FILES.manifest)}: not JSON`, { cause: err });
  }
  const keys: FileKey[] = [];
  for (const schedule of schedules) {
    const privatePem = read(KEY_FILES.privatePem(schedule.kid));
    try {
      await importSigningKey(schedule.kid, privatePem);
    } catch (err) {
      throw new KeyFilesError(`${schedule.kid}: ${(err as Error).message}`, { cause: err });
    }
    keys.push({ schedule, publicJwk: JSON.parse(read(KEY_FILES.publicJwk(schedule.kid))) as JWK, privatePem });
  }
  return keys;
}

/**
 * Stores `keys` as PostgreSQL's signing keys, sealed, with their schedules: the same kids sign and
 * are published as before the move, so verifiers' cached JWKS and tokens in flight stay valid.
 * 'already_adopted' when exactly these kids are there; KeysConflict when any other key is.
 */
export async function adoptSigningKeys(pool: Pool, kek: KeyEncryptionKey, keys: readonly FileKey[]): Promise<'adopted' | 'already_adopted'> {
  return inTransaction(pool, async (client) => {
    // Locks out a first-starting service's key (it inserts generation 1) until this commits.
    await client.query('LOCK TABLE signing_keys IN SHARE ROW EXCLUSIVE MODE');
    const { rows } = await client.query<{ kid: string }>('SELECT kid FROM signing_keys ORDER BY generation');
    if (rows.length > 0) {
      if (rows.map((r) => r.kid).join() === keys.map((k) => k.schedule.kid).join()) return 'already_adopted';
      throw new KeysConflict();
    }
    for (const [i, { schedule, publicJwk, privatePem }] of keys.entries()) {
      await client.query(
        `INSERT INTO signing_keys (generation, kid, public_jwk, private_key_sealed, created_at, signs_from, retired_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [i + 1, schedule.kid, JSON.stringify(publicJwk), kek.seal(Buffer.from(privatePem, 'utf8'), keySealContext(schedule.kid)), schedule.created_at, schedule.signs_from, schedule.retired_at],
      );
    }
    return 'adopted';
  });
}
