// A bulk import's parsing thread: splits the parts of the CSV the main thread sends into lines
// (as readline does: LF, CRLF or CR), checks every row with the row-by-row path's own checks,
// hashes the mobiles, and stages the valid rows itself, where the bulk load reads them at commit
// (staging-rows.ts). The main thread gets back each part's line count and refused lines.
import { isAscii } from 'node:buffer';
import { createRequire } from 'node:module';
import { parentPort } from 'node:worker_threads';
import type BetterSqlite3 from 'better-sqlite3';
import type { FromParser, ToParser } from './csv-parallel.ts';
import { checkHeader, parseRow } from './csv-rows.ts';
import { MOBILE_HASH_BYTES, MobileHasher } from './mobile-hash.ts';
import { MobilePrefixCounts, SeenIds } from './staged-counts.ts';
import { CopyRowsWriter, SqliteStagingWriter, type StagingWriter, stagingPosition } from './staging-rows.ts';

const port = parentPort!;

interface Load {
  schedule: Record<string, number>;
  today: string;
  hasher: MobileHasher;
  writer: StagingWriter;
  counters: { prefixes: MobilePrefixCounts; seenIds: SeenIds } | null;
}
let load: Load | null = null;

/**
 * better-sqlite3 is a native addon: this thread's bundle cannot hold it (threads/ts-worker.ts), so
 * it is loaded at run time from where the main thread resolved it.
 */
function sqliteDriver(path: string): typeof BetterSqlite3 {
  return createRequire(path)(path) as typeof BetterSqlite3;
}

/** Bytes of a part decoded at a time: V8 makes strings of a few dozen KiB many times faster than one of half a MiB. */
const SLICE_BYTES = 32 * 1024;

/** Parses and stages one part (whole lines); line numbers are counted from the part's first line, 1. */
function parsePart(seq: number, bytes: Buffer): FromParser {
  const { schedule, today, hasher, writer, counters } = load!;
  // Without a CR (most files) a plain split gives the same lines at a fraction of the regex's cost.
  const crs = bytes.includes(13);
  const invalid: [number, string][] = [];
  const repeatedIds: string[] = [];
  // The part's hashes side by side (a writer may hold a row, its hash a view of this, until the
  // part ends); room for all: a valid row takes at least 19 bytes of the part.
  const hashes = Buffer.allocUnsafe(bytes.length + MOBILE_HASH_BYTES);
  let line = 0;
  let rowsRead = 0;
  let staged = 0;
  // A household's rows often follow each other: the same mobile is hashed once.
  let lastMobile = '';
  // A part ends just after a line break (or at the end of the file), and a slice just after a "\n":
  // no line, CRLF or UTF-8 sequence spans two parts or two slices.
  for (let from = 0; from < bytes.length; ) {
    const lf = from + SLICE_BYTES < bytes.length ? bytes.indexOf(10, from + SLICE_BYTES) : -1;
    const to = lf === -1 ? bytes.length : lf + 1;
    const slice = bytes.subarray(from, to);
    from = to;
    // ASCII reads the same as Latin-1, which is decoded without UTF-8's checks.
    const text = isAscii(slice) ? slice.toString('latin1') : slice.toString('utf8');
    const lines = crs ? text.split(/\r\n|\n|\r/) : text.split('\n');
    if (lines.at(-1) === '') lines.pop(); // the text after the last line break is a line only if it is not empty
    for (const raw of lines) {
      line++;
      if (seq === 0 && line === 1) {
        checkHeader(raw);
        continue;
      }
      if (raw.trim() === '') continue;
      rowsRead++;
      const row = parseRow(raw, schedule, today);
      if (typeof row === 'string') {
        invalid.push([line, row]);
        continue;
      }
      const at = staged * MOBILE_HASH_BYTES;
      if (row.mobile === lastMobile) hashes.copyWithin(at, at - MOBILE_HASH_BYTES, at);
      else hasher.hashInto(row.mobile, hashes, at);
      lastMobile = row.mobile;
      if (counters) {
        counters.prefixes.add(hashes, at);
        if (counters.seenIds.see(row.id)) repeatedIds.push(row.id);
      }
      writer.add(stagingPosition(seq, line), row, hashes, at);
      staged++;
    }
  }
  const copy = writer.endPart();
  return { type: 'part', seq, lineCount: line, rowsRead, staged, invalid, repeatedIds, copy };
}

port.on('message', (message: ToParser) => {
  let reply: FromParser;
  try {
    switch (message.type) {
      case 'start': {
        const { staging, parser } = message;
        const sink = staging.sink;
        load = {
          schedule: message.schedule,
          today: message.today,
          hasher: new MobileHasher(Buffer.from(staging.mobileKey)),
          writer: sink.kind === 'sqlite' ? new SqliteStagingWriter(sqliteDriver(sink.driver), sink.files[parser]!) : new CopyRowsWriter(),
          counters: staging.counters && { prefixes: new MobilePrefixCounts(staging.counters.prefixCounts), seenIds: new SeenIds(staging.counters.seenIds) },
        };
        return;
      }
      case 'part':
        reply = parsePart(message.seq, Buffer.from(message.data.buffer, message.data.byteOffset, message.data.byteLength));
        break;
      case 'finish':
        load!.writer.close();
        load = null;
        reply = { type: 'finished' };
        break;
    }
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    reply = { type: 'failed', seq: message.type === 'part' ? message.seq : -1, name: e.constructor.name, message: e.message, stack: e.stack ?? '' };
  }
  const copy = reply.type === 'part' ? reply.copy : null;
  const transfer = copy ? [copy.rows, copy.ids, copy.rowEnds, copy.idEnds, copy.lines].map((b) => b.buffer as ArrayBuffer) : [];
  port.postMessage(reply, transfer);
});
