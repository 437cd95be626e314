// `registry import --bulk` into PostgreSQL (COPY into a temp table, one final transaction) against
// SQLite's --bulk on the same synthetic file, in the same run:
//
//   node --import tsx bench/pg-import.ts [--rows 1000000]
//
// PostgreSQL is the test one (test-support/postgres-server.ts), in a scratch database dropped at the end.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { importCsv, type ImportReport } from '../server/registry/csv-import.ts';
import { PostgresRegistryAdmin } from '../server/registry/postgres-admin.ts';
import { SqliteRegistryAdmin } from '../server/registry/registry-admin.ts';
import type { RegistryAdmin } from '../server/registry/registry-admin.ts';
import { syntheticRegistryCsv } from '../server/registry/synthetic.ts';
import { openDatabase } from '../server/store/database.ts';
import { migrate } from '../server/store/postgres/migrate.ts';
import { createPool } from '../server/store/postgres/pool.ts';
import { createScratchDatabase } from '../test-support/postgres-server.ts';

export const PG_IMPORT_TARGET_ROWS_PER_S = 300_000;

export interface ImportRun {
  rows: number;
  seconds: number;
  commitSeconds: number;
  rowsPerSecond: number;
}

async function timedImport(csv: string, admin: RegistryAdmin, rows: number): Promise<ImportRun> {
  const report: ImportReport = await importCsv(fs.createReadStream(csv), admin, { bulk: true, onReject: () => undefined });
  if (report.imported !== rows) throw new Error(`${report.imported} of ${rows} rows imported, ${report.rejected} rejected`);
  return { rows, seconds: report.seconds, commitSeconds: report.commitSeconds, rowsPerSecond: rows / report.seconds };
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

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { rows: { type: 'string', default: '1000000' } } });
  const rows = Number(values.rows);
  if (!Number.isInteger(rows) || rows <= 0) throw new Error('--rows needs a positive integer');
  const before = os.loadavg();
  const { postgres, sqlite, load } = await measurePgImport(rows);
  const line = (name: string, r: ImportRun) =>
    `${name.padEnd(11)} ${fmt(r.rowsPerSecond).padStart(9)} rows/s  (${r.seconds.toFixed(1)} s, final transaction ${r.commitSeconds.toFixed(1)} s)`;
  console.log(`registry import --bulk, ${fmt(rows)} synthetic rows, ${os.cpus().length} cores`);
  console.log(line('PostgreSQL', postgres));
  console.log(line('SQLite', sqlite));
  console.log(`PostgreSQL / SQLite: ${(postgres.rowsPerSecond / sqlite.rowsPerSecond).toFixed(2)}×; target ≥ ${fmt(PG_IMPORT_TARGET_ROWS_PER_S)} rows/s: ${postgres.rowsPerSecond >= PG_IMPORT_TARGET_ROWS_PER_S ? 'met' : 'not met'}`);
  console.log(`load average (1 min) before ${before[0]!.toFixed(2)}, after ${load[0]!.toFixed(2)}`);
}
