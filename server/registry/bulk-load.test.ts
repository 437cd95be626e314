// The bulk import (CLI --bulk) against the row-by-row import on real SQLite files: the same rows
// land, the same lines are refused for the same reasons, re-imports move and update records, a
// failed import writes nothing, and a process killed mid-import leaves the registry whole.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { after, describe, test } from 'node:test';
import fc from 'fast-check';
import { openDatabase, type Db } from '../store/database.ts';
import { type RejectedRow, importCsv } from './csv-import.ts';
import { readCsvInParts } from './csv-parallel.ts';
import { CSV_HEADER } from './csv-rows.ts';
import { SqliteRegistryAdmin } from './registry-admin.ts';
import { sqliteRegistry } from './sqlite.ts';
import { syntheticRegistryCsv } from './synthetic.ts';

const HEADER = CSV_HEADER.join(',');
const KEY = Buffer.alloc(32, 9);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kycvs-bulk-test-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
let dbSeq = 0;
const freshDb = () => openDatabase(path.join(dir, `r${++dbSeq}.sqlite`));

// Tiny parts: the bulk path cuts the file into many parts, parsed on two threads, numbered back in order.
async function run(db: Db, csv: string | Buffer[], bulk: boolean, partBytes = 16) {
  const rejected: RejectedRow[] = [];
  const input = Readable.from(typeof csv === 'string' ? [csv] : csv);
  const report = await importCsv(input, new SqliteRegistryAdmin(db, KEY), { bulk, batchSize: 3, partBytes, today: '2024-06-30', onReject: (r) => rejected.push(r) });
  return { report: { read: report.rowsRead, imported: report.imported, rejected: report.rejected }, rejected: rejected.sort((a, b) => a.line - b.line) };
}

/** A fresh database for each path, closed after the check. */
async function bothPaths(check: (bulk: Db, rowByRow: Db) => Promise<void>) {
  const rowByRow = freshDb();
  const bulk = freshDb();
  try {
    await check(bulk, rowByRow);
  } finally {
    rowByRow.close();
    bulk.close();
  }
}

const contents = (db: Db) => db.prepare('SELECT id, hex(mobile_hash) AS m, name, name_key, vaccine, doses, last_dose_date FROM beneficiaries ORDER BY id').all();
const mobileIndex = (db: Db) => db.prepare("SELECT sql FROM sqlite_master WHERE name = 'beneficiaries_by_mobile'").pluck().get();

// Few ids and few mobiles, so ids repeat, move between mobiles and crowd them past 6.
const row = fc.record({ id: fc.integer({ min: 0, max: 14 }), mobile: fc.integer({ min: 0, max: 2 }), doses: fc.integer({ min: 0, max: 2 }), bad: fc.boolean() });
const csvOf = (rows: { id: number; mobile: number; doses: number; bad: boolean }[]) =>
  [HEADER, ...rows.map((r) => `ID${r.id},98000000${r.mobile}0,Person ${'abcdefghijklmno'[r.id]},${r.doses ? 'COVAXIN' : ''},${r.bad ? 'x' : r.doses},${r.doses ? '2021-01-01' : ''}`)].join('\n');

describe('bulk import', () => {
  test('property: same rows land and the same lines are refused as row by row, over a registry that already has rows', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(row, { maxLength: 30 }), fc.array(row, { maxLength: 40 }), (first, second) =>
        bothPaths(async (bulk, rowByRow) => {
          assert.deepEqual(await run(bulk, csvOf(first), true), await run(rowByRow, csvOf(first), false));
          assert.deepEqual(contents(bulk), contents(rowByRow));
          assert.deepEqual(await run(bulk, csvOf(second), true), await run(rowByRow, csvOf(second), false));
          assert.deepEqual(contents(bulk), contents(rowByRow));
          assert.equal(mobileIndex(bulk), mobileIndex(rowByRow));
        }),
      ),
      { numRuns: 150 },
    );
  });

  test('a file with CR-only line ends is cut into parts like any other, not read whole into one', async () => {
    const lines = Array.from({ length: 400 }, (_, i) => `b${i},98${String(i).padStart(8, '0')},Person ${i},COVAXIN,2,2022-01-0${1 + (i % 9)}`);
    const text = [HEADER, ...lines].join('\r');
    // Read in 100-byte chunks, each ending anywhere (often on a CR).
    const chunks = Array.from({ length: Math.ceil(text.length / 100) }, (_, i) => Buffer.from(text.slice(i * 100, (i + 1) * 100)));
    let parts = 0;
    let staged = 0;
    const read = await readCsvInParts(Readable.from(chunks), {
      schedule: { COVAXIN: 2 },
      today: '2024-06-30',
      staging: { mobileKey: KEY, sink: { kind: 'copy' }, counters: null },
      partBytes: 1024,
      onInvalid: (line, reason) => assert.fail(`line ${line}: ${reason}`),
      onPart: async (part) => {
        parts++;
        staged += part.rows;
      },
    });
    assert.equal(read, 400);
    assert.equal(staged, 400);
    assert.ok(parts >= text.length / 1024 - 1, `${parts} parts for ${text.length} bytes`);
  });

  test('property: files cut anywhere, with LF, CRLF or CR line ends, a BOM, blank and junk lines: same outcome as row by row', async () => {
    const good = fc.record({ id: fc.integer({ min: 0, max: 20 }), mobile: fc.integer({ min: 0, max: 3 }) }).map(({ id, mobile }) => `X${id},97000000${mobile}0,Name ${'abcdefghijklmnopqrstu'[id]},JANSSEN,1,2022-02-02`);
    const junk = fc.oneof(fc.constantFrom('', ' ', 'a,b', '"open,quote', 'X1,9700000000,,JANSSEN,1,2022-02-02', '\uFFFD,é,ü'), fc.string({ maxLength: 12 }));
    const end = fc.constantFrom('\n', '\r\n', '\r');
    const file = fc.tuple(fc.boolean(), end, fc.array(fc.tuple(fc.oneof({ weight: 3, arbitrary: good }, { weight: 1, arbitrary: junk }), end), { maxLength: 25 }), fc.boolean());
    await fc.assert(
      fc.asyncProperty(file, fc.array(fc.nat(), { maxLength: 6 }), fc.integer({ min: 1, max: 80 }), async ([bom, headerEnd, lines, trailing], cuts, partBytes) => {
        let text = `${bom ? '\uFEFF' : ''}${HEADER}${headerEnd}${lines.map(([l, e]) => l + e).join('')}`;
        if (!trailing) text = text.replace(/[\r\n]+$/, '');
        const bytes = Buffer.from(text);
        const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
        const chunks = [0, ...at].map((from, i) => bytes.subarray(from, at[i] ?? bytes.length)).filter((c) => c.length > 0);
        await bothPaths(async (bulk, rowByRow) => {
          assert.deepEqual(await run(bulk, chunks, true, partBytes), await run(rowByRow, text, false));
          assert.deepEqual(contents(bulk), contents(rowByRow));
        });
      }),
      { numRuns: 200 },
    );
  });

  test('a bad header or an empty file is refused as row by row', async () => {
    for (const text of ['', '\n', 'id,mobile\nX1,9700000000,A B,JANSSEN,1,2022-02-02', `\r${HEADER}`]) {
      const db = freshDb();
      const registry = sqliteRegistry(db, KEY);
      const rowByRow = await importCsv(Readable.from([text]), registry).catch((e: Error) => `${e.name} ${e.message}`);
      const bulk = await importCsv(Readable.from([text]), registry, { bulk: true, partBytes: 4 }).catch((e: Error) => `${e.name} ${e.message}`);
      assert.equal(typeof bulk, 'string', JSON.stringify(text));
      assert.equal(bulk, rowByRow);
      assert.equal(await registry.count(), 0);
      db.close();
    }
  });

  test('the 7th beneficiary on a mobile is refused by line, with the row-by-row reason; a re-import moves and updates records', async () => {
    const db = freshDb();
    const registry = sqliteRegistry(db, KEY);
    const family = Array.from({ length: 7 }, (_, i) => `F${i},9855555555,Member ${'abcdefg'[i]} Gupta,COVISHIELD,1,2021-05-05`);
    const first = await run(db, [HEADER, ...family].join('\n'), true);
    assert.deepEqual(first.rejected, [{ line: 8, reason: 'mobile already has 6 beneficiaries' }]);
    assert.deepEqual(first.report, { read: 7, imported: 6, rejected: 1 });
    // F0 moves to another mobile and gets a second dose, which frees a place for F6.
    const again = await run(db, [HEADER, 'F0,9866666666,Member a Gupta,COVISHIELD,2,2021-08-05', family[6]].join('\n'), true);
    assert.deepEqual(again.rejected, []);
    assert.equal((await registry.lookup('9866666666', 'Member a Gupta')).match?.status, 2);
    assert.equal((await registry.lookup('9855555555', 'Member a Gupta')).match, null);
    assert.equal((await registry.lookup('9855555555', 'Member g Gupta')).match?.status, 1);
    assert.equal(await registry.count(), 7);
    db.close();
  });

  test('a read error mid-file writes nothing and leaves the connection ready for the next import', async () => {
    const db = freshDb();
    const registry = sqliteRegistry(db, KEY);
    await run(db, `${HEADER}\nK1,9877777777,Kept Person,JANSSEN,1,2021-01-01`, true);
    const failing = Readable.from((async function* () {
      yield `${HEADER}\nN1,9877777778,New Person,JANSSEN,1,2021-01-01\n`;
      throw Object.assign(new Error('disk read failed'), { code: 'EIO' });
    })());
    await assert.rejects(importCsv(failing, registry, { bulk: true }), /disk read failed/);
    assert.equal(await registry.count(), 1);
    assert.equal((await registry.lookup('9877777778', 'New Person')).registered, false);
    const next = await run(db, `${HEADER}\nN2,9877777779,Next Person,JANSSEN,1,2021-01-01`, true);
    assert.equal(next.report.imported, 1);
    assert.equal(await registry.count(), 2);
    db.close();
  });

  test('a process killed at any moment of a bulk import leaves the registry as before or fully imported, with its index; the next bulk load removes its staging files', async (t) => {
    const ROWS = 200_000;
    const file = path.join(dir, 'big.csv');
    fs.writeFileSync(file, [...syntheticRegistryCsv(ROWS, 3)].join(''));
    const repo = fileURLToPath(new URL('../../', import.meta.url));
    const seen: string[] = [];
    const killed: number[] = [];
    const dataDirs: string[] = [];
    // Staging writes only the parsing threads' own files; the registry's WAL grows only while the final transaction writes.
    const moments: [string, (wal: number, ms: number) => boolean][] = [
      ['while staging', (_wal, ms) => ms >= 1200],
      ['while committing (WAL past 1 MB)', (wal) => wal > 1 << 20],
    ];
    for (const [moment, killNow] of moments) {
      const dataDir = path.join(dir, `killed-${seen.length}`);
      dataDirs.push(dataDir);
      const wal = path.join(dataDir, 'kycvs.sqlite-wal');
      const child = spawn(process.execPath, ['--import', 'tsx', 'server/cli/main.ts', 'registry', 'import', '--bulk', file], {
        cwd: repo,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? dir, KYCVS_DATA_DIR: dataDir },
        stdio: 'ignore',
      });
      killed.push(child.pid!);
      let exitCode: number | null = null;
      child.once('exit', (code) => (exitCode = code ?? -1));
      const started = performance.now();
      while (exitCode === null && !killNow(fs.existsSync(wal) ? fs.statSync(wal).size : 0, performance.now() - started)) {
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
      const finished = exitCode !== null;
      child.kill('SIGKILL');
      while (exitCode === null) await new Promise((resolve) => setTimeout(resolve, 5));
      const db = openDatabase(path.join(dataDir, 'kycvs.sqlite'));
      assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
      assert.ok(mobileIndex(db), `killed ${moment}: the mobile index is there`);
      const rows = db.prepare('SELECT count(*) FROM beneficiaries').pluck().get() as number;
      assert.ok(rows === 0 || rows === ROWS, `killed ${moment}: ${rows} rows`);
      seen.push(`${finished ? 'finished before the kill' : `killed ${moment}`}: ${rows} rows`);
      db.close();
    }
    t.diagnostic(`killed bulk imports: ${seen.join('; ')}`);
    // Their staging files (health data, beside the registry's file) go when the next bulk load there starts.
    const staging = () => dataDirs.flatMap((d) => fs.readdirSync(d).filter((name) => killed.some((pid) => name.startsWith(`kycvs-bulk-${pid}-`))));
    t.diagnostic(`staging directories left by the killed imports: ${staging().length}`);
    for (const dataDir of dataDirs) {
      const db = openDatabase(path.join(dataDir, 'kycvs.sqlite'));
      sqliteRegistry(db, KEY).bulkLoad().discard();
      db.close();
    }
    assert.deepEqual(staging(), []);
  });
});
