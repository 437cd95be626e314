// A bulk import's parsing thread: splits the parts of the CSV the main thread sends into lines
// (as readline does: LF, CRLF or CR), checks every row with the row-by-row path's own checks,
// hashes the mobiles, and sends the valid rows back in columns. The main thread stages them.
import { parentPort } from 'node:worker_threads';
import type { StagedRows } from './beneficiary-rows.ts';
import type { FromParser, ToParser } from './csv-parallel.ts';
import { checkHeader, parseRow } from './csv-rows.ts';
import { MOBILE_HASH_BYTES, MobileHasher } from './mobile-hash.ts';

const port = parentPort!;
let config: { schedule: Record<string, number>; today: string; hasher: MobileHasher } | null = null;

/** Parses one part (whole lines); line numbers are counted from the part's first line, 1. */
function parsePart(seq: number, bytes: Buffer): FromParser {
  const { schedule, today, hasher } = config!;
  // A part ends just after a "\n" (or at the end of the file), so no line and no UTF-8 sequence spans two parts.
  const text = bytes.toString('utf8');
  // Without a CR (most files) a plain split gives the same lines at a fraction of the regex's cost.
  const lines = bytes.includes(13) ? text.split(/\r\n|\n|\r/) : text.split('\n');
  if (lines.at(-1) === '') lines.pop(); // the text after the last line break is a line only if it is not empty
  if (seq === 0 && lines.length > 0) checkHeader(lines[0]!);
  const invalid: [number, string][] = [];
  const hashes = Buffer.allocUnsafeSlow(lines.length * MOBILE_HASH_BYTES);
  const rows: StagedRows = { lines: [], ids: [], mobileHashes: hashes, names: [], nameKeys: [], vaccines: [], doses: [], lastDoseDates: [] };
  let rowsRead = 0;
  for (let i = seq === 0 ? 1 : 0; i < lines.length; i++) {
    const raw = lines[i]!;
    if (raw.trim() === '') continue;
    rowsRead++;
    const row = parseRow(raw, schedule, today);
    if (typeof row === 'string') {
      invalid.push([i + 1, row]);
      continue;
    }
    hasher.hashInto(row.mobile, hashes, rows.lines.length * MOBILE_HASH_BYTES);
    rows.lines.push(i + 1);
    rows.ids.push(row.id);
    rows.names.push(row.name);
    rows.nameKeys.push(row.nameKey);
    rows.vaccines.push(row.vaccine);
    rows.doses.push(row.doses);
    rows.lastDoseDates.push(row.lastDoseDate);
  }
  return { type: 'part', seq, lineCount: lines.length, rowsRead, invalid, rows };
}

port.on('message', (message: ToParser) => {
  if (message.type === 'start') {
    config = { schedule: message.schedule, today: message.today, hasher: new MobileHasher(Buffer.from(message.mobileKey)) };
    return;
  }
  let reply: FromParser;
  try {
    reply = parsePart(message.seq, Buffer.from(message.data.buffer, message.data.byteOffset, message.data.byteLength));
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    reply = { type: 'failed', seq: message.seq, name: e.constructor.name, message: e.message, stack: e.stack ?? '' };
  }
  port.postMessage(reply, reply.type === 'part' ? [reply.rows.mobileHashes.buffer as ArrayBuffer] : []);
});
