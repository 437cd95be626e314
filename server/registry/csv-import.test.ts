// Registry import from CSV into a real SQLite file: good rows land, every bad row is reported
// with its line and reason and never aborts or half-writes the import; then the imported
// people verify over real HTTP with the statuses their rows give.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { after, describe, test } from 'node:test';
import fc from 'fast-check';
import { openDatabase } from '../store/database.ts';
import { RAILWAY_WIDGET, createSession, outbox, startTestServer, tokenFor } from '../../test-support/harness.ts';
import { type RejectedRow, importCsv } from './csv-import.ts';
import { CSV_HEADER, CsvHeaderError, parseRow } from './csv-rows.ts';
import { type RegistryWithAdmin, sqliteRegistry } from './sqlite.ts';

const HEADER = CSV_HEADER.join(',');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kycvs-import-'));
const db = openDatabase(path.join(dir, 'registry.sqlite'));
after(() => {
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});
let registryKeySeq = 0;
const newRegistry = () => sqliteRegistry(db, Buffer.alloc(32, ++registryKeySeq));

async function runImport(registry: RegistryWithAdmin, csv: string, options: { batchSize?: number } = {}) {
  const rejected: RejectedRow[] = [];
  const report = await importCsv(Readable.from([csv]), registry, { ...options, today: '2024-06-30', onReject: (r) => rejected.push(r) });
  return { report, rejected };
}

const statusOf = async (registry: RegistryWithAdmin, mobile: string, name: string) => (await registry.lookup(mobile, name)).match?.status ?? null;

describe('importCsv', () => {
  test('property: last_dose_date is accepted exactly when it is a day that exists, written YYYY-MM-DD', () => {
    const DATE = 'last_dose_date must be a date YYYY-MM-DD';
    // The calendar's answer: a UTC date that prints back as the same text.
    const exists = (text: string) => {
      if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
      const date = new Date(`${text}T00:00:00Z`);
      return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === text;
    };
    const nearDate = fc.tuple(fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 0, max: 13 }), fc.integer({ min: 0, max: 32 })).map(
      ([y, m, d]) => `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`,
    );
    const text = fc.oneof(nearDate, fc.stringMatching(/^[0-9\-\s\u0660-\u0669a]{8,11}$/));
    fc.assert(
      fc.property(text, (date) => {
        // Fields are trimmed; today is the last day there is, so no date is in the future.
        const row = parseRow(`D1,9811111111,Kavya Iyer,COVISHIELD,1,${date}`, { COVISHIELD: 2 }, '9999-12-31');
        assert.equal(row === DATE, !exists(date.trim()), `${JSON.stringify(date)}: ${JSON.stringify(row)}`);
      }),
      { numRuns: 5_000 },
    );
  });

  test('good rows land; each bad row is reported with its line number and reason and skipped', async () => {
    const registry = newRegistry();
    const lines = [
      HEADER,
      'G1,9811111111,Kavya Iyer,COVISHIELD,2,2021-08-01', // 2
      'B1,9811111111,Kavya Iyer,COVISHIELD,2', // 3: 5 fields
      'B2,98111,Rohan Das,COVAXIN,1,2021-08-01', // 4: mobile
      'B3,9811111112,!!!,COVAXIN,1,2021-08-01', // 5: no name
      'B4,9811111113,Rohan Das,COVAXIN,two,2021-08-01', // 6: doses
      'B5,9811111114,Rohan Das,COVAXIN,-1,2021-08-01', // 7: doses
      'B6,9811111115,Rohan Das,COVAXIN,0,2021-08-01', // 8: 0 doses with a vaccine
      'B7,9811111116,Rohan Das,,1,2021-08-01', // 9: no vaccine
      'B8,9811111117,Rohan Das,MADEUPVAX,1,2021-08-01', // 10: unknown vaccine
      'B9,9811111118,Rohan Das,COVAXIN,1,2021-02-30', // 11: impossible date
      'B10,9811111119,Rohan Das,COVAXIN,1,2030-01-01', // 12: future date
      'B11,9811111120,"Rohan Das,COVAXIN,1,2021-08-01', // 13: unbalanced quote
      `B12,9811111121,${'x'.repeat(2100)},COVAXIN,1,2021-08-01`, // 14: too long
      'B 13,9811111122,Rohan Das,COVAXIN,1,2021-08-01', // 15: bad id
      '', // 16: blank, ignored
      'G2,+91 98111-11123,"Das, Rohan",covaxin,1,2021-09-01', // 17
      'G3,09811111124,Meera Nair,,0,', // 18
    ];
    const { report, rejected } = await runImport(registry, `${lines.join('\n')}\n`);
    assert.deepEqual(rejected.map((r) => r.line), [3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
    for (const r of rejected) assert.ok(r.reason.length > 5 && !r.reason.includes('undefined'), `line ${r.line}: ${r.reason}`);
    assert.match(rejected.find((r) => r.line === 10)!.reason, /unknown vaccine/);
    assert.match(rejected.find((r) => r.line === 12)!.reason, /future/);
    assert.deepEqual({ read: report.rowsRead, imported: report.imported, rejected: report.rejected }, { read: 16, imported: 3, rejected: 13 });

    assert.equal(await statusOf(registry, '9811111111', 'Kavya Iyer'), 2);
    assert.equal(await statusOf(registry, '9811111123', 'Rohan Das'), 1);
    assert.equal(await statusOf(registry, '9811111124', 'Meera Nair'), 0);
    for (const mobile of ['9811111113', '9811111116', '9811111117', '9811111119']) {
      assert.equal((await registry.lookup(mobile, 'Rohan Das')).registered, false, `${mobile} was refused, so not registered`);
    }
  });

  test('a UTF-8 BOM, CRLF line ends and a header in other case and spacing are accepted', async () => {
    const registry = newRegistry();
    const csv = `\uFEFF${CSV_HEADER.map((h) => ` ${h.toUpperCase()} `).join(',')}\r\nC1,9822222222,Priya Sharma,Sputnik  V,2,2022-01-05\r\n`;
    const { report, rejected } = await runImport(registry, csv);
    assert.deepEqual(rejected, []);
    assert.equal(report.imported, 1);
    assert.equal(await statusOf(registry, '9822222222', 'Priya Sharma'), 2);
  });

  test('a wrong header refuses the file before any row is written', async () => {
    const registry = newRegistry();
    const before = await registry.count();
    await assert.rejects(runImport(registry, 'id,phone,name\nX1,9833333333,Amit Rao\n'), CsvHeaderError);
    await assert.rejects(runImport(registry, `${HEADER.replace('doses', 'dose')}\nX1,9833333333,Amit Rao,COVAXIN,1,2021-01-01\n`), CsvHeaderError);
    assert.equal(await registry.count(), before);
  });

  test('an empty file (not even the header, e.g. a truncated export) is refused, not reported as a clean import of 0 rows', async () => {
    await assert.rejects(runImport(newRegistry(), ''), CsvHeaderError);
  });

  test('a bad row in any batch does not stop the batches after it', async () => {
    const registry = newRegistry();
    const rows = Array.from({ length: 9 }, (_, i) =>
      i % 3 === 1 ? `BAD${i},123,Name Bad,COVAXIN,1,2021-01-01` : `OK${i},98440000${String(i).padStart(2, '0')},Person Number${i},JANSSEN,1,2021-01-01`,
    );
    const { report, rejected } = await runImport(registry, [HEADER, ...rows].join('\n'), { batchSize: 2 });
    assert.deepEqual(rejected.map((r) => r.line), [3, 6, 9]);
    assert.equal(report.imported, 6);
    assert.equal(await statusOf(registry, '9844000008', 'Person Number8'), 2);
  });

  test('at most 6 beneficiaries on one mobile: the 7th is reported, the first 6 stay', async () => {
    const registry = newRegistry();
    const rows = Array.from({ length: 7 }, (_, i) => `F${i},9855555555,Member ${'abcdefg'[i]} Gupta,COVISHIELD,1,2021-05-05`);
    const { report, rejected } = await runImport(registry, [HEADER, ...rows].join('\n'));
    assert.deepEqual(rejected.map((r) => r.line), [8]);
    assert.match(rejected[0]!.reason, /6 beneficiaries/);
    assert.equal(report.imported, 6);
    assert.equal(await statusOf(registry, '9855555555', 'Member f Gupta'), 1);
    assert.equal(await statusOf(registry, '9855555555', 'Member g Gupta'), null);
  });

  test('importing a row again updates it (a second dose recorded later)', async () => {
    const registry = newRegistry();
    await runImport(registry, `${HEADER}\nU1,9866666666,Vikram Menon,CORBEVAX,1,2022-03-01\n`);
    assert.equal(await statusOf(registry, '9866666666', 'Vikram Menon'), 1);
    await runImport(registry, `${HEADER}\nU1,9866666666,Vikram Menon,CORBEVAX,2,2022-04-01\n`);
    assert.equal(await statusOf(registry, '9866666666', 'Vikram Menon'), 2);
    assert.equal((await registry.lookup('9866666666', 'Vikram Menon')).match?.beneficiaryId, 'U1');
  });

  test('property: in any mix of good and bad rows, exactly the bad lines are reported and the good rows imported', async () => {
    const good = fc.record({ doses: fc.integer({ min: 0, max: 3 }), vaccine: fc.constantFrom('COVISHIELD', 'ZYCOV-D', 'JANSSEN') });
    const bad = fc.constantFrom('X,1,2', 'Y,9800000000,,COVAXIN,1,2021-01-01', 'Z,98000,Ab Cd,COVAXIN,1,2021-01-01', '"', 'W,9800000000,Ab Cd,COVAXIN,1,2021-13-01');
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(good, bad), { maxLength: 25 }), async (rows) => {
        const registry = newRegistry();
        const r = run++;
        const badLines: number[] = [];
        const csvRows = rows.map((row, i) => {
          if (typeof row === 'string') {
            badLines.push(i + 2);
            return row;
          }
          const mobile = `97${String(r).padStart(4, '0')}${String(i).padStart(4, '0')}`;
          return row.doses === 0 ? `P${r}-${i},${mobile},Pat Kumar,,0,` : `P${r}-${i},${mobile},Pat Kumar,${row.vaccine},${row.doses},2021-06-01`;
        });
        const { report, rejected } = await runImport(registry, [HEADER, ...csvRows].join('\n'), { batchSize: 4 });
        assert.deepEqual(rejected.map((x) => x.line), badLines);
        assert.equal(report.imported, rows.length - badLines.length);
      }),
      { numRuns: 25 },
    );
  });
});

describe('imported people over HTTP', () => {
  test('a person imported into the running service verifies with the status of their row', async () => {
    const server = await startTestServer();
    try {
      const csv = [HEADER, 'H1,9877700001,Neha Joshi,ZYCOV-D,2,2022-02-02', 'H2,9877700002,Neha Joshi,bogus,2,2022-02-02', 'H3,9877700003,Suresh Pillai,ZYCOV-D,3,2022-02-02'].join('\n');
      const { rejected } = await runImport(server.services.registry, csv);
      assert.deepEqual(rejected.map((r) => r.line), [3]);
      const partial = await tokenFor(server, { mobile: '9877700001', name: 'NEHA JOSHI' }, RAILWAY_WIDGET);
      assert.equal(partial.verify.body.name_matched, true);
      assert.equal(partial.status, 1);
      const full = await tokenFor(server, { mobile: '9877700003', name: 'Pillai Suresh' }, RAILWAY_WIDGET);
      assert.equal(full.status, 2);
      // The refused row's mobile is not registered: the OTP request is answered alike but no SMS goes out.
      const id = await createSession(server, RAILWAY_WIDGET);
      const res = await server.api('POST', `/v1/sessions/${id}/otp`, { json: { mobile: '9877700002', name: 'Neha Joshi' } });
      assert.equal(res.status, 202);
      assert.deepEqual(await outbox(server, '9877700002'), []);
    } finally {
      await server.close();
    }
  });
});
