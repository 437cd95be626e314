import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { inTransaction, type Pool } from './pool.ts';

/** The shipped migrations: NNN_name.sql, applied in version order; never edit a shipped one, add the next. */
export const MIGRATIONS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** A migrations directory that cannot be applied as it is (a gap, a duplicate, a stray file). */
export class MigrationError extends Error {
  readonly code = 'migration_invalid';
  constructor(message: string) {
    super(message);
    this.name = 'MigrationError';
  }
}

const FILE_PATTERN = /^(\d{3})_([a-z0-9_]+)\.sql$/;

/** The migrations in `dir`, in order; versions must run 1, 2, 3… without a gap. */
export function readMigrations(dir = MIGRATIONS_DIR): Migration[] {
  const migrations = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .map((file) => {
      const match = FILE_PATTERN.exec(file);
      if (!match) throw new MigrationError(`${file}: migration files are named NNN_name.sql`);
      return { version: Number(match[1]), name: match[2]!, sql: fs.readFileSync(path.join(dir, file), 'utf8') };
    })
    .sort((a, b) => a.version - b.version);
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new MigrationError(`expected migration ${i + 1}, found ${String(m.version).padStart(3, '0')}_${m.name}.sql`);
  });
  return migrations;
}

/**
 * Key of the transaction-level advisory lock that serializes migrators on one database (advisory
 * locks are per database, so test databases side by side do not wait on each other).
 */
const MIGRATION_LOCK = 0x6b796376_73; // "kycvs"

/**
 * Brings the database's schema up to date; returns the versions this call applied. Each migration
 * is one transaction that first takes the advisory lock, then checks schema_migrations: of N
 * processes starting at once, one applies a version and the others, once they get the lock, find
 * it recorded. A failing migration rolls back whole, its version unrecorded.
 */
export async function migrate(pool: Pool, migrations: readonly Migration[] = readMigrations()): Promise<number[]> {
  const applied: number[] = [];
  for (const m of migrations) {
    const done = await inTransaction(pool, async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      // Under the lock, so two first runs cannot race to create it.
      await client.query(
        `CREATE TABLE IF NOT EXISTS schema_migrations (
           version integer PRIMARY KEY, name text NOT NULL, applied_at bigint NOT NULL)`,
      );
      const seen = await client.query('SELECT 1 FROM schema_migrations WHERE version = $1', [m.version]);
      if (seen.rowCount) return false;
      await client.query(m.sql);
      await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [m.version, m.name, Date.now()]);
      return true;
    });
    if (done) applied.push(m.version);
  }
  return applied;
}

/** The versions recorded as applied, in order (none on a database never migrated). */
export async function appliedVersions(pool: Pool): Promise<number[]> {
  const exists = await pool.query("SELECT to_regclass('schema_migrations') IS NOT NULL AS ok");
  if (!exists.rows[0]?.ok) return [];
  const rows = await pool.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
  return rows.rows.map((r) => r.version);
}
