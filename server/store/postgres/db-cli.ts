import path from 'node:path';
import type { Config } from '../../config.ts';
import { adoptSigningKeys, KeyFilesError, KeysConflict, readFileKeys } from '../../signing/adopt-keys.ts';
import { KekError, requireKek } from '../kek.ts';
import { adoptSecrets, SecretsConflict } from '../postgres-secrets.ts';
import { resealAll } from '../reseal.ts';
import { readSecretsFile, SecretsFileError } from '../secrets.ts';
import { DatabaseUnavailableError } from '../unavailable.ts';
import { migrate } from './migrate.ts';
import { createPool, type Pool } from './pool.ts';

/** What a db command refuses in one line (`error: … (code)`), exit 1; anything else is a bug and is thrown. */
const REFUSALS = [DatabaseUnavailableError, KekError, SecretsConflict, SecretsFileError, KeysConflict, KeyFilesError];

export const DB_USAGE = `  db migrate                          bring the PostgreSQL schema at KYCVS_DATABASE_URL up to date; prints the
                                      versions applied (safe to run from several machines at once)
  db adopt-secrets DATA_DIR           moving from SQLite: store DATA_DIR's hashing secrets and signing keys in
                                      PostgreSQL (sealed under KYCVS_KEK), before the first start there, so mobile
                                      hashes, pseudonymous subjects, API keys, kids and the JWKS stay as they were
  db reseal                           changing the KEK: with KYCVS_KEK the new one and KYCVS_KEK_PREVIOUS the old,
                                      seal every signing key and hashing secret again under the new one`;

/** `db <command> [args]`: prints its outcome and returns the exit code. */
export async function runDbCommand(
  command: string | undefined,
  args: readonly string[],
  config: Pick<Config, 'postgres' | 'kek'>,
  print: (line: string) => void,
  fail: (line: string) => void,
): Promise<number> {
  if (command !== 'migrate' && command !== 'adopt-secrets' && command !== 'reseal') {
    fail(`unknown db command "${command ?? ''}": db migrate, db adopt-secrets DATA_DIR, db reseal`);
    return 2;
  }
  if (!config.postgres.url) {
    fail(`db ${command} needs KYCVS_DATABASE_URL=postgres://… (without it the service uses its SQLite file, which migrates itself)`);
    return 1;
  }
  if (command === 'adopt-secrets' && args.length !== 1) {
    fail('usage: db adopt-secrets DATA_DIR (the SQLite deployment\'s data dir, holding secrets.json)');
    return 2;
  }
  // One connection: migrations run one after another anyway.
  const pool = createPool({ url: config.postgres.url, size: 1, statementTimeoutMs: 0, applicationName: `kycvs-${command}` });
  try {
    if (command === 'migrate') {
      print(await migrated(pool));
      return 0;
    }
    if (command === 'reseal') {
      const { resealed, current } = await resealAll(pool, requireKek(config.kek));
      print(`re-sealed ${resealed} record${resealed === 1 ? '' : 's'} under the current KEK (${current} already were): KYCVS_KEK_PREVIOUS can go`);
      return 0;
    }
    const dataDir = path.resolve(args[0]!);
    // Read and check first: a wrong path, a broken key file or a missing KEK changes nothing in the database.
    const seed = readSecretsFile(dataDir);
    const keys = await readFileKeys(dataDir);
    const kek = requireKek(config.kek);
    await migrate(pool);
    // Secrets first: a service that started here wrote its secrets before its key, so a conflict shows there before anything is written.
    const secrets = await adoptSecrets(pool, kek, seed);
    print(
      secrets === 'adopted'
        ? `adopted the hashing secrets of ${path.join(dataDir, 'secrets.json')}: mobile hashes, pseudonymous subjects and API keys carry over`
        : 'these hashing secrets are already the ones PostgreSQL holds: nothing to do',
    );
    if (!keys) {
      print(`${dataDir} has no signing keys: the first process on PostgreSQL makes one`);
      return 0;
    }
    const signing = await adoptSigningKeys(pool, kek, keys);
    print(
      signing === 'adopted'
        ? `adopted ${keys.length} signing key${keys.length === 1 ? '' : 's'} (${keys.map((k) => k.schedule.kid).join(', ')}): the same kids sign and are published`
        : 'these signing keys are already the ones PostgreSQL holds: nothing to do',
    );
    return 0;
  } catch (err) {
    if (REFUSALS.some((refusal) => err instanceof refusal)) {
      const { message, code } = err as Error & { code: string };
      fail(`error: ${message} (${code})`);
      return 1;
    }
    throw err;
  } finally {
    await pool.end();
  }
}

async function migrated(pool: Pool): Promise<string> {
  const applied = await migrate(pool);
  return applied.length ? `applied ${applied.map((v) => String(v).padStart(3, '0')).join(', ')}` : 'schema up to date: nothing to apply';
}
