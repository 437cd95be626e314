import type { Config } from '../../config.ts';
import { migrate } from './migrate.ts';
import { DatabaseUnavailableError } from '../unavailable.ts';
import { createPool } from './pool.ts';

export const DB_USAGE = `  db migrate                          bring the PostgreSQL schema at KYCVS_DATABASE_URL up to date; prints the
                                      versions applied (safe to run from several machines at once)`;

/** `db <command>`: prints its outcome and returns the exit code. */
export async function runDbCommand(
  command: string | undefined,
  config: Pick<Config, 'postgres'>,
  print: (line: string) => void,
  fail: (line: string) => void,
): Promise<number> {
  if (command !== 'migrate') {
    fail(`unknown db command "${command ?? ''}": db migrate`);
    return 2;
  }
  if (!config.postgres.url) {
    fail('db migrate needs KYCVS_DATABASE_URL=postgres://… (without it the service uses its SQLite file, which migrates itself)');
    return 1;
  }
  // One connection: migrations run one after another anyway.
  const pool = createPool({ url: config.postgres.url, size: 1, statementTimeoutMs: 0, applicationName: 'kycvs-migrate' });
  try {
    const applied = await migrate(pool);
    print(applied.length ? `applied ${applied.map((v) => String(v).padStart(3, '0')).join(', ')}` : 'schema up to date: nothing to apply');
    return 0;
  } catch (err) {
    if (err instanceof DatabaseUnavailableError) {
      fail(`error: ${err.message} (${err.code})`);
      return 1;
    }
    throw err;
  } finally {
    await pool.end();
  }
}
