// `registry import --bulk` into PostgreSQL (COPY into a temp table, one final transaction) against
// SQLite's --bulk on the same synthetic file, in the same run:
//
//   npm run bench -- --only pg-import        (KYCVS_BENCH_IMPORT_ROWS=10000000 for 10 M rows)
//
// PostgreSQL is the test one (test-support/postgres-server.ts), in a scratch database dropped at the end.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { importCsv, type ImportReport } from '../server/registry/csv-import.ts';
import { PostgresRegistryAdmin } from '../server/registry/postgres-admin.ts';
import { SqliteRegistryAdmin } from '../server/registry/registry-admin.ts';
import type { RegistryAdmin } from '../server/registry/registry-admin.ts';
import { syntheticRegistryCsv } from '../server/registry/synthetic.ts';
import { openDatabase } from '../server/store/database.ts';
import { migrate } from '../server/store/postgres/migrate.ts';
import { createPool } from '../server/store/postgres/pool.ts';
import { createScratchDatabase } from '../test-support/postgres-server.ts';
import { type BenchOptions, type ModuleResult, moduleMain, progress, row } from './lib/report.ts';
import { fmt, fmtPct } from './lib/stats.ts';

export const PG_IMPORT_TARGET_ROWS_PER_S = 300_000;

export interface ImportRun {
  rows: number;
  seconds: number;
  commitSeconds: number;
  rowsPerSecond: number;
  /** This process's CPU, parsing threads included (PostgreSQL's own is not in it). */
  cpuSeconds: number;
}

async function timedImport(csv: string, admin: RegistryAdmin, rows: number): Promise<ImportRun> {
  const cpu0 = process.cpuUsage();
  const report: ImportReport = await importCsv(fs.createReadStream(csv), admin, { bulk: true, onReject: () => undefined });
  const cpu = process.cpuUsage(cpu0);
  if (report.imported !== rows) throw new Error(`${report.imported} of ${rows} rows imported, ${report.rejected} rejected`);
  return { rows, seconds: report.seconds, commitSeconds: report.commitSeconds, rowsPerSecond: rows / report.seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
}

/** Both bulk imports of `rows` synthetic rows, PostgreSQL first. */
export async function measurePgImport(rows: number): Promise<{ postgres: ImportRun; sqlite: ImportRun; load: number[] }> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kycvs-bench-pg-import-'));
  const key = crypto.randomBytes(32);
  try {
    const csv = path.join(tmp, 'registry.csv');
    await pipeline(Readable.from(syntheticRegistryCsv(rows, 1)), fs.createWriteStream(csv));

    const scratch = await createScratchDatabase('kycvs_bench');
    const pool = createPool({ url: scratch.url, size: 2 });
    let postgres: ImportRun;
    try {
      await migrate(pool);
      postgres = await timedImport(csv, new PostgresRegistryAdmin(pool, key), rows);
    } finally {
      await pool.end();
      await scratch.drop();
    }

    const db = openDatabase(path.join(tmp, 'kycvs.sqlite'));
    let sqlite: ImportRun;
    try {
      sqlite = await timedImport(csv, new SqliteRegistryAdmin(db, key), rows);
    } finally {
      db.close();
    }
    return { postgres, sqlite, load: os.loadavg() };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

const SIZES = { full: 1_000_000, smoke: 20_000 };

/** `npm run bench -- --only pg-import`; KYCVS_BENCH_IMPORT_ROWS=10000000 for the 10 M figure. */
export async function measure(options: BenchOptions): Promise<Omit<ModuleResult, 'module' | 'seconds'>> {
  const rows = options.smoke ? SIZES.smoke : Number(process.env.KYCVS_BENCH_IMPORT_ROWS || SIZES.full);
  if (!Number.isInteger(rows) || rows <= 0) throw new Error('KYCVS_BENCH_IMPORT_ROWS needs a positive integer');
  progress(`pg-import: ${fmt(rows)} synthetic rows, --bulk into PostgreSQL, then into SQLite`);
  const { postgres, sqlite } = await measurePgImport(rows);
  return {
    rows: [
      row(`Registry import --bulk, ${fmt(rows)} rows, PostgreSQL (COPY)`, `${fmt(postgres.rowsPerSecond)} rows/s (${fmt(postgres.seconds, 1)} s)`, {
        baseline: `SQLite --bulk ${fmt(sqlite.rowsPerSecond)} rows/s`,
        ratio: fmtPct(postgres.rowsPerSecond / sqlite.rowsPerSecond),
        target: `≥ ${fmt(PG_IMPORT_TARGET_ROWS_PER_S)} rows/s`,
        met: postgres.rowsPerSecond >= PG_IMPORT_TARGET_ROWS_PER_S,
      }),
    ],
    notes: [
      `pg-import: into the empty registry PostgreSQL takes the rows as they are read (COPY into beneficiaries and beneficiary_ids, ` +
        `in one transaction opened at the first part); its commit (the last rows sent, the few held back applied, COMMIT) took ` +
        `${fmt(postgres.commitSeconds, 1)} s of ${fmt(postgres.seconds, 1)} s (SQLite's final transaction ${fmt(sqlite.commitSeconds, 1)} of ${fmt(sqlite.seconds, 1)} s). ` +
        `CPU of the importing process: ${fmt(postgres.cpuSeconds, 1)} s (SQLite ${fmt(sqlite.cpuSeconds, 1)} s), PostgreSQL's not included. ` +
        `On PostgreSQL lookups go on meanwhile, on SQLite every other writer waits for the final transaction.`,
    ],
    details: { rows, postgres, sqlite },
  };
}

moduleMain(import.meta.url, 'pg-import', measure);
