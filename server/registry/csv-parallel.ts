import type { Readable } from 'node:stream';
import type { Worker } from 'node:worker_threads';
import { startTsWorker } from '../threads/ts-worker.ts';
import { CsvHeaderError, emptyFileError } from './csv-rows.ts';
import type { CopyRows, StagedPart, Staging } from './staging-rows.ts';

/** Main thread to a parsing thread. */
export type ToParser =
  /** A load begins: `parser` is this thread's number (its staging file, for a SQLite sink). */
  | { type: 'start'; schedule: Record<string, number>; today: string; staging: Staging; parser: number }
  /** Whole lines of the file; part 0 starts with the header. */
  | { type: 'part'; seq: number; data: Uint8Array }
  /** Every part is staged: close the staging (its file is read next). */
  | { type: 'finish' };

/** A parsing thread to the main thread: one reply a part, and one to 'finish'. Line numbers count from the part's first line, 1. */
export type FromParser =
  | {
      type: 'part';
      seq: number;
      lineCount: number;
      rowsRead: number;
      staged: number;
      invalid: [number, string][];
      repeatedIds: string[];
      /** Its buffers arrive as plain Uint8Arrays (structured clone). */
      copy: CopyRows | null;
    }
  | { type: 'finished' }
  /** seq -1: not about a part (starting or finishing the load). */
  | { type: 'failed'; seq: number; name: string; message: string; stack: string };

export interface PartsReadOptions {
  schedule: Record<string, number>;
  today: string;
  /** Where and how the threads stage the valid rows (the bulk load's). */
  staging: Staging;
  /** Bytes of CSV a part, cut after the last line break (a longer line makes a longer part). */
  partBytes: number;
  onInvalid: (line: number, reason: string) => void;
  /** Each part as staged, in file order, awaited before the next is taken. */
  onPart: (part: StagedPart) => Promise<void>;
}

/** Two parsing threads, staging too: one each of the machine's two cores. */
export const PARSERS = 2;
/** Parts read ahead of the one being staged: bounds memory whatever the file's size. */
const AHEAD_PER_PARSER = 2;
// Parsing threads between imports (unref'd: they never keep the process alive). Starting one costs
// ~0.2 s (the TypeScript loader); one that failed or was abandoned is terminated, never reused.
const idle: Worker[] = [];

function startParser(): Worker {
  const worker = startTsWorker(new URL('./csv-worker.ts', import.meta.url));
  // One that dies while idle leaves the pool (an import would wait for it forever); while an
  // import uses it, that import's own listeners turn its error or exit into the import's error.
  worker.on('error', () => undefined);
  worker.once('exit', () => {
    const at = idle.indexOf(worker);
    if (at !== -1) idle.splice(at, 1);
  });
  return worker;
}

/**
 * Reads a registry CSV with its parsing on other threads: this thread cuts the bytes into parts of
 * whole lines and deals them out; each parser splits lines exactly as readline does, checks rows
 * with the row-by-row path's checks, hashes mobiles and stages the valid rows; this thread takes
 * the parts back in file order, numbering lines. Same rows, same refused lines and reasons, same
 * header errors as readCsvRows. Returns the number of data rows read once every row is staged.
 */
export async function readCsvInParts(input: Readable, options: PartsReadOptions): Promise<number> {
  const parsers = Array.from({ length: PARSERS }, () => idle.pop() ?? startParser());
  const replies = new Map<number, FromParser>();
  let wake: (() => void) | null = null;
  let broken: Error | null = null;
  const notify = () => {
    wake?.();
    wake = null;
  };
  let finished = 0;
  const onMessage = (reply: FromParser) => {
    if (reply.type === 'finished') finished++;
    else if (reply.type === 'failed' && reply.seq === -1) broken ??= Object.assign(new Error(reply.message), { stack: reply.stack });
    else replies.set(reply.seq, reply);
    notify();
  };
  const onError = (err: Error) => {
    broken ??= err;
    notify();
  };
  const onExit = (code: number) => onError(new Error(`a CSV parsing thread exited (code ${code})`));
  parsers.forEach((parser, i) => {
    parser.ref();
    parser.on('message', onMessage);
    parser.on('error', onError);
    parser.on('exit', onExit);
    parser.postMessage({ type: 'start', schedule: options.schedule, today: options.today, staging: options.staging, parser: i } satisfies ToParser);
  });
  const until = async (ready: () => boolean) => {
    while (!ready()) {
      if (broken) throw broken;
      await new Promise<void>((resolve) => (wake = resolve));
    }
    if (broken) throw broken;
  };

  let sent = 0;
  let taken = 0;
  let lineOffset = 0;
  let rowsRead = 0;
  const send = (part: Buffer) => {
    const seq = sent++;
    parsers[seq % PARSERS]!.postMessage({ type: 'part', seq, data: part } satisfies ToParser);
  };
  /** Takes the next part back: reports its invalid rows, stages its valid ones. */
  const take = async () => {
    const seq = taken;
    await until(() => replies.has(seq));
    const reply = replies.get(seq)!;
    replies.delete(seq);
    taken++;
    if (reply.type === 'failed') {
      if (reply.name === 'CsvHeaderError') throw new CsvHeaderError(reply.message);
      throw Object.assign(new Error(reply.message), { stack: reply.stack });
    }
    if (reply.type !== 'part') throw new Error(`a CSV parsing thread answered part ${seq} with ${reply.type}`);
    for (const [line, reason] of reply.invalid) options.onInvalid(lineOffset + line, reason);
    const copy = reply.copy && { ...reply.copy, rows: asBuffer(reply.copy.rows), ids: asBuffer(reply.copy.ids) };
    await options.onPart({ seq, linesBefore: lineOffset, rows: reply.staged, repeatedIds: reply.repeatedIds, copy });
    lineOffset += reply.lineCount;
    rowsRead += reply.rowsRead;
  };

  let reusable = false;
  try {
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    for await (const chunk of input as AsyncIterable<Buffer | string>) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      pending.push(bytes);
      pendingBytes += bytes.length;
      if (pendingBytes < options.partBytes) continue;
      // Cut after the last line break, which is in this chunk or, if it has none, not yet read:
      // a line longer than a part is gathered chunk by chunk, never copied again. Without an LF,
      // after the last CR (CR-only files), unless it ends the chunk: it may be half a CRLF.
      let cut = bytes.lastIndexOf(10) + 1;
      if (cut === 0 && bytes.length > 1) cut = bytes.lastIndexOf(13, bytes.length - 2) + 1;
      if (cut === 0) continue;
      const rest = bytes.length - cut;
      pending[pending.length - 1] = bytes.subarray(0, cut);
      send(Buffer.concat(pending, pendingBytes - rest));
      pending = rest > 0 ? [bytes.subarray(cut)] : [];
      pendingBytes = rest;
      while (sent - taken > PARSERS * AHEAD_PER_PARSER) await take();
    }
    if (pendingBytes > 0) send(Buffer.concat(pending, pendingBytes));
    while (taken < sent) await take();
    if (lineOffset === 0) throw emptyFileError();
    for (const parser of parsers) parser.postMessage({ type: 'finish' } satisfies ToParser);
    await until(() => finished === PARSERS);
    reusable = true;
    return rowsRead;
  } finally {
    for (const parser of parsers) {
      parser.off('message', onMessage);
      parser.off('error', onError);
      parser.off('exit', onExit);
      if (reusable) {
        parser.unref();
        idle.push(parser);
      } else {
        void parser.terminate();
      }
    }
  }
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
