// Attack: a malformed or hostile registry export. The CSV import (the CLI's `registry import`)
// gets random bytes, binary, NULs, huge lines, bad quotes, stray CRs and unicode, cut into random
// chunks, mixed with good rows, into a real SQLite file. It must keep going: every good row lands,
// every other line is reported once with its line number, the counts add up, and the only error
// it may throw is the header error. Then the real CLI gets a 4 MB hostile file.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { after, describe, test } from 'node:test';
import fc from 'fast-check';
import { type RejectedRow, importCsv } from '../server/registry/csv-import.ts';
import { CSV_HEADER, CsvHeaderError } from '../server/registry/csv-rows.ts';
import { sqliteRegistry } from '../server/registry/sqlite.ts';
import { openDatabase } from '../server/store/database.ts';

const HEADER = CSV_HEADER.join(',');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kycvs-csvfuzz-'));
const db = openDatabase(path.join(dir, 'registry.sqlite'));
after(() => {
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

type Line = { good: true; doses: number } | { good: false; text: string };

const junkLine: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b).toString('latin1')),
  fc.string({ unit: 'grapheme', maxLength: 120 }),
  fc.integer({ min: 2001, max: 400_000 }).map((n) => `X${n},${'9'.repeat(n)}`),
  fc.constantFrom(
    '"',
    '"unterminated,9876543210,Asha,COVISHIELD,2,2021-01-01',
    'A,"98765"43210",Asha Verma,COVISHIELD,2,2021-01-01',
    'B,9876543210,"Asha ""Q"" Verma",COVISHIELD,2,2021-01-01,extra',
    '\u0000\u0000\u0000',
    'C,9876543210,Asha Verma,COVISHIELD,2,2099-01-01',
    'D,9876543210,Asha Verma,UNKNOWNVAX,2,2021-01-01',
    'E,9876543210,Asha Verma,,0,2021-01-01',
    'F,1234567890,Asha Verma,COVISHIELD,2,2021-01-01',
    'G,9876543210,!!!,COVISHIELD,2,2021-01-01',
    'H,9876543210,Asha Verma,COVISHIELD,-1,2021-01-01',
    "I';DROP TABLE beneficiaries;--,9876543210,Asha Verma,COVISHIELD,2,2021-01-01",
    '=cmd|"/c calc"!A1,9876543210,Asha Verma,COVISHIELD,2,2021-01-01',
    ',,,,,',
  ),
);

const lineArb: fc.Arbitrary<Line> = fc.oneof(
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 3 }).map((doses) => ({ good: true as const, doses })) },
  { weight: 3, arbitrary: junkLine.map((text) => ({ good: false as const, text })) },
);

/** Splits `text` into chunks at the given cut points (bytes), so the reader meets every boundary. */
function chunked(bytes: Buffer, cuts: number[]): Readable {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const parts: Buffer[] = [];
  let from = 0;
  for (const p of points) {
    parts.push(bytes.subarray(from, p));
    from = p;
  }
  parts.push(bytes.subarray(from));
  return Readable.from(parts.filter((p) => p.length > 0));
}

let run = 0;
let linesThrown = 0;
let bytesThrown = 0;

describe('CSV import under hostile files', () => {
  test('random mixes of good rows and junk: good rows land, the rest is reported by line, counts add up', async (t) => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(lineArb, { minLength: 5, maxLength: 60, size: 'large' }),
        fc.constantFrom('\n', '\r\n'),
        fc.array(fc.nat(), { maxLength: 8 }),
        async (lines, eol, cuts) => {
          const r = run++;
          const registry = sqliteRegistry(db, Buffer.alloc(32, r % 250));
          const goods: { mobile: string; name: string; doses: number }[] = [];
          const text = [
            HEADER,
            ...lines.map((line, i) => {
              if (!line.good) return line.text;
              const mobile = `6${String(r).padStart(5, '0')}${String(i).padStart(4, '0')}`;
              const name = `Fuzz Row ${String.fromCharCode(65 + (i % 26))}`;
              goods.push({ mobile, name, doses: line.doses });
              return line.doses === 0 ? `F${r}-${i},${mobile},${name},,0,` : `F${r}-${i},${mobile},${name},COVAXIN,${line.doses},2021-06-01`;
            }),
          ].join(eol);
          const bytes = Buffer.from(text, 'utf8');
          linesThrown += lines.length;
          bytesThrown += bytes.length;
          const rejected: RejectedRow[] = [];
          const report = await importCsv(chunked(bytes, cuts), registry, { batchSize: 7, today: '2024-06-30', onReject: (x) => rejected.push(x) });
          assert.equal(report.rowsRead, report.imported + report.rejected, JSON.stringify(report));
          assert.equal(rejected.length, report.rejected);
          const lineNumbers = rejected.map((x) => x.line);
          assert.equal(new Set(lineNumbers).size, lineNumbers.length, 'each line reported once');
          for (const n of lineNumbers) assert.ok(n >= 2, `line ${n}`);
          for (const x of rejected) assert.ok(typeof x.reason === 'string' && x.reason.length > 0 && x.reason.length < 200);
          assert.ok(report.imported >= goods.length, `${report.imported} imported, ${goods.length} good rows`);
          for (const g of goods) {
            const found = await registry.lookup(g.mobile, g.name);
            assert.ok(found.match, `good row ${g.mobile} not imported`);
            assert.equal(found.match.status, g.doses === 0 ? 0 : g.doses >= 2 ? 2 : 1);
          }
        },
      ),
      { numRuns: 300, endOnFailure: true },
    );
    t.diagnostic(`figure: CSV import: ${run} random files, ${linesThrown} random lines, ${(bytesThrown / 1024 / 1024).toFixed(1)} MB thrown; no import stopped`);
  });

  test('random bytes as a whole file: either a clean report or the header error, nothing else', async (t) => {
    let headerErrors = 0;
    let files = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 3000 }),
          fc.string({ unit: 'binary', maxLength: 3000 }).map((s) => Buffer.from(s)),
          fc.uint8Array({ maxLength: 3000 }).map((b) => Buffer.concat([Buffer.from(`${HEADER}\n`), b])),
          fc.uint8Array({ maxLength: 600 }).map((b) => Buffer.concat([Buffer.from(`\uFEFF${HEADER.toUpperCase()}\r\n`), b, Buffer.from('\n\n\r\r')])),
        ),
        async (bytes) => {
          files++;
          const registry = sqliteRegistry(db, Buffer.alloc(32, 251));
          try {
            const report = await importCsv(Readable.from([Buffer.from(bytes)]), registry, { today: '2024-06-30' });
            assert.equal(report.rowsRead, report.imported + report.rejected);
          } catch (err) {
            assert.ok(err instanceof CsvHeaderError, `threw ${(err as Error).name}: ${(err as Error).message}`);
            headerErrors++;
          }
        },
      ),
      { numRuns: 300, endOnFailure: true },
    );
    t.diagnostic(`figure: CSV import: ${files} files of random bytes → ${headerErrors} refused at the header, the rest imported or reported row by row`);
  });

  test('the real CLI: a 4 MB hostile file is imported row by row, reports its rejects on stderr, exits 0, no stack trace', async (t) => {
    const file = path.join(dir, 'hostile.csv');
    const lines = [HEADER];
    let good = 0;
    for (let i = 0; i < 3000; i++) {
      if (i % 3 === 0) {
        lines.push(`CLI-${i},8${String(i).padStart(9, '0')},Cli Person,COVISHIELD,2,2021-06-01`);
        good++;
      } else if (i % 3 === 1) lines.push(i % 2 ? '"broken,quote' : `\u0000${'\uFFFD'.repeat(i % 50)},bin`);
      else lines.push(i % 300 === 2 ? `HUGE,${'x'.repeat(400_000)}` : 'a,b,c');
    }
    fs.writeFileSync(file, lines.join('\n'));
    const size = fs.statSync(file).size;
    const repo = fileURLToPath(new URL('../', import.meta.url));
    const dataDir = path.join(dir, 'cli-data');
    const child = spawn(process.execPath, ['--import', 'tsx', 'server/cli/main.ts', 'registry', 'import', file], {
      cwd: repo,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? dir, KYCVS_DATA_DIR: dataDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    const report = /read (\d+) rows: imported (\d+), rejected (\d+)/.exec(stdout);
    t.diagnostic(`figure: CLI import of a ${(size / 1024 / 1024).toFixed(1)} MB hostile file → ${report?.[0] ?? stdout.trim()}`);
    assert.equal(code, 0, stderr.slice(0, 500));
    assert.ok(report, stdout);
    assert.equal(Number(report[2]), good);
    assert.equal(Number(report[1]), Number(report[2]) + Number(report[3]));
    const rejectLines = stderr.split('\n').filter(Boolean);
    assert.equal(rejectLines.length, Number(report[3]));
    for (const l of rejectLines) assert.match(l, /^line \d+: /);
    assert.doesNotMatch(stderr, /\bat .+:\d+:\d+\)|Error:/);
  });
});
