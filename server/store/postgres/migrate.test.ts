import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { createTestDatabase } from '../../../test-support/postgres.ts';
import { openDatabase } from '../database.ts';
import { appliedVersions, MigrationError, migrate, readMigrations } from './migrate.ts';
import type { Pool } from './pool.ts';

const shipped = readMigrations();
const allVersions = shipped.map((m) => m.version);

async function tableKeys(pool: Pool): Promise<Map<string, string[]>> {
  // Primary-key columns of every table in public, in key order (partitions are not tables of their own here).
  const { rows } = await pool.query<{ table: string; columns: string[] }>(
    `SELECT c.relname AS table, array_agg(a.attname::text ORDER BY k.ord) AS columns
       FROM pg_class c
       JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
       JOIN pg_constraint p ON p.conrelid = c.oid AND p.contype = 'p'
       CROSS JOIN LATERAL unnest(p.conkey) WITH ORDINALITY AS k(attnum, ord)
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
      WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
      GROUP BY c.relname`,
  );
  return new Map(rows.map((r) => [r.table, r.columns]));
}

describe('PostgreSQL migrations', () => {
  it('apply in order on an empty database, and a second run applies nothing', async () => {
    const db = await createTestDatabase({ migrate: false });
    assert.deepEqual(await appliedVersions(db.pool), []);
    assert.deepEqual(await migrate(db.pool), allVersions);
    assert.deepEqual(await appliedVersions(db.pool), allVersions);
    assert.deepEqual(await migrate(db.pool), []);
    await db.drop();
  });

  it('4 processes starting at once apply each migration exactly once', async () => {
    const db = await createTestDatabase({ migrate: false });
    // Each runner has its own pool (as separate processes would); a later migration makes the race longer.
    const extra = { version: shipped.length + 1, name: 'race_probe', sql: 'CREATE TABLE race_probe (n integer); INSERT INTO race_probe VALUES (1);' };
    const runners = Array.from({ length: 4 }, () => migrate(db.newPool(2), [...shipped, extra]));
    const results = await Promise.all(runners);
    const appliedBy = results.flat().sort((a, b) => a - b);
    assert.deepEqual(appliedBy, [...allVersions, extra.version], 'every version applied by exactly one runner');
    const { rows } = await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM race_probe');
    assert.equal(rows[0]!.n, 1, "the probe migration's insert ran once");
    await db.drop();
  });

  it('a failing migration leaves no trace and is not recorded', async () => {
    const db = await createTestDatabase();
    const broken = { version: shipped.length + 1, name: 'broken', sql: 'CREATE TABLE half_done (n integer); SELECT no_such_function();' };
    await assert.rejects(migrate(db.pool, [...shipped, broken]), /no_such_function/);
    assert.deepEqual(await appliedVersions(db.pool), allVersions);
    const { rows } = await db.pool.query("SELECT to_regclass('half_done') AS t");
    assert.equal(rows[0]!.t, null);
    await db.drop();
  });

  it('has every table of the SQLite schema, each with a primary key', async () => {
    const db = await createTestDatabase();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kycvs-pg-schema-'));
    const sqlite = openDatabase(path.join(dir, 'kycvs.db'));
    const sqliteTables = sqlite
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
      .pluck()
      .all() as string[];
    sqlite.close();
    fs.rmSync(dir, { recursive: true, force: true });
    const keys = await tableKeys(db.pool);
    for (const table of sqliteTables) assert.ok(keys.has(table), `table ${table} exists in PostgreSQL with a primary key`);
    // The keys the tables are sharded by lead each primary key.
    assert.deepEqual(keys.get('beneficiaries'), ['mobile_hash', 'id']);
    assert.deepEqual(keys.get('sessions'), ['id']);
    assert.deepEqual(keys.get('audit_events'), ['session_id', 'id']);
    assert.deepEqual(keys.get('webhook_events'), ['session_id']);
    assert.deepEqual(keys.get('webhook_attempts'), ['session_id', 'id']);
    assert.deepEqual(keys.get('rate_counters'), ['key', 'window_start']);
    assert.deepEqual(keys.get('session_links'), ['link_hash']);
    assert.deepEqual(keys.get('beneficiary_ids'), ['id']);
    const subjectIndex = await db.pool.query("SELECT indexdef FROM pg_indexes WHERE indexname = 'audit_by_subject'");
    assert.match(subjectIndex.rows[0]!.indexdef, /\(subject, at DESC, id DESC\)/);
    await db.drop();
  });

  it('hash-partitions the registry by the mobile hash, and a lookup reads one partition', async () => {
    const db = await createTestDatabase();
    const strategy = await db.pool.query<{ strategy: string; key: string }>(
      `SELECT p.partstrat AS strategy, a.attname AS key FROM pg_partitioned_table p
         JOIN pg_attribute a ON a.attrelid = p.partrelid AND a.attnum = p.partattrs[0]
        WHERE p.partrelid = 'beneficiaries'::regclass`,
    );
    assert.deepEqual(strategy.rows, [{ strategy: 'h', key: 'mobile_hash' }]);
    const parts = await db.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_inherits WHERE inhparent = 'beneficiaries'::regclass");
    assert.equal(parts.rows[0]!.n, 16);
    const plan = await db.pool.query<{ 'QUERY PLAN': string }>(
      "EXPLAIN (COSTS OFF) SELECT id, name_key FROM beneficiaries WHERE mobile_hash = '\\x0102'::bytea",
    );
    const scanned = plan.rows.map((r) => r['QUERY PLAN']).join('\n').match(/beneficiaries_p\d\d/g) ?? [];
    assert.equal(new Set(scanned).size, 1, `one partition scanned:\n${plan.rows.map((r) => r['QUERY PLAN']).join('\n')}`);
    await db.drop();
  });

  it('refuses a migrations directory with a gap', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kycvs-pg-migrations-'));
    fs.writeFileSync(path.join(dir, '001_a.sql'), 'SELECT 1;');
    fs.writeFileSync(path.join(dir, '003_c.sql'), 'SELECT 1;');
    assert.throws(() => readMigrations(dir), (err) => err instanceof MigrationError && /expected migration 2/.test(err.message));
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
