import type BetterSqlite3 from 'better-sqlite3';
import type { NamedBeneficiary } from './beneficiary-rows.ts';
import { MOBILE_HASH_BYTES } from './mobile-hash.ts';

// Where a bulk import's parsing threads put the rows they read, and how the bulk loads find them
// again. The threads write them straight to where the load reads them at commit (a SQLite file per
// thread, or PostgreSQL COPY rows), so no row is copied between threads or handled again on the
// main thread. No package imports here: parsing threads bundle this module (threads/ts-worker.ts).

/** Where the parsing threads stage a bulk load's valid rows; the load chooses. */
export type StagingSink =
  /** Each thread inserts into its own SQLite file (files[i] for thread i; `driver` is better-sqlite3's path). */
  | { kind: 'sqlite'; files: readonly string[]; driver: string }
  /** Each thread encodes PostgreSQL COPY binary rows (CopyRows), handed back with each part. */
  | { kind: 'copy' };

/** What a bulk load gives the parsing threads. */
export interface Staging {
  /** The key mobiles are hashed with. */
  mobileKey: Buffer;
  sink: StagingSink;
  /** MobilePrefixCounts' and SeenIds' memory, for the threads to keep as they stage; null: the load counts. */
  counters: { prefixCounts: SharedArrayBuffer; seenIds: SharedArrayBuffer } | null;
}

/** A part's valid rows as COPY binary rows (no header or trailer), in line order, with where each row ends. */
export interface CopyRows {
  /** Rows of beneficiaries (COPY_COLUMNS). */
  rows: Buffer;
  /** Rows of beneficiary_ids (id, mobile_hash). */
  ids: Buffer;
  rowEnds: Uint32Array;
  idEnds: Uint32Array;
  /** Each row's line within its part. */
  lines: Uint32Array;
}

/** One part of the file as a parsing thread staged it, handed to the load in file order. */
export interface StagedPart {
  seq: number;
  /** Lines of the file before this part. */
  linesBefore: number;
  /** Valid rows staged. */
  rows: number;
  /** Ids of this part's rows that an earlier staged row may have had (when the threads keep SeenIds). */
  repeatedIds: string[];
  /** The part's rows (sink 'copy'), else null. */
  copy: CopyRows | null;
}

// A staged row's position: its part and its line within the part. A thread does not know how many
// lines the parts before its own have (another thread counts some of them); positions order rows
// as their lines do, and the load, which sees every part's line count, turns one back into a line.
const POSITIONS_PER_PART = 2 ** 32;

export function stagingPosition(seq: number, lineInPart: number): number {
  return seq * POSITIONS_PER_PART + lineInPart;
}

/** Turns staging positions back into line numbers: records how many lines come before each part. */
export class PartLines {
  readonly #before: number[] = [];

  record(seq: number, linesBefore: number): void {
    this.#before[seq] = linesBefore;
  }

  lineOf(position: number): number {
    const seq = Math.floor(position / POSITIONS_PER_PART);
    return this.#before[seq]! + (position - seq * POSITIONS_PER_PART);
  }
}

/** The staging table in each thread's SQLite file: rows in position order. */
export const SQLITE_STAGING_TABLE = `CREATE TABLE staging (
  pos INTEGER PRIMARY KEY, id TEXT NOT NULL, mobile_hash BLOB NOT NULL, name TEXT NOT NULL,
  name_key TEXT NOT NULL, vaccine TEXT, doses INTEGER NOT NULL, last_dose_date TEXT
) STRICT`;
const SQLITE_COLUMNS = 8;
/** Rows per INSERT: one statement step per 64 rows instead of one per row. */
const ROWS_PER_INSERT = 64;

export interface StagingWriter {
  /** Stages one valid row; its mobile's hash is hashes[at .. at + 16], left as it is until the part ends. */
  add(position: number, row: NamedBeneficiary, hashes: Buffer, at: number): void;
  /** Ends a part: what is handed back with it (COPY rows), or null. */
  endPart(): CopyRows | null;
  /** Ends the load's staging: everything is where the load will read it. */
  close(): void;
}

/**
 * A thread's rows into its SQLite file: one transaction a part, no journal and no syncs (the file
 * is thrown away on any failure; the load reads it only after the thread has closed it).
 */
export class SqliteStagingWriter implements StagingWriter {
  readonly #db: BetterSqlite3.Database;
  readonly #insertOne: BetterSqlite3.Statement;
  readonly #insertMany: BetterSqlite3.Statement;
  readonly #values = new Array<unknown>(ROWS_PER_INSERT * SQLITE_COLUMNS);
  #pending = 0;
  #inPart = false;

  constructor(Database: typeof BetterSqlite3, file: string) {
    this.#db = new Database(file);
    this.#db.pragma('journal_mode = OFF');
    this.#db.pragma('synchronous = OFF');
    const tuple = `(${Array(SQLITE_COLUMNS).fill('?').join(', ')})`;
    this.#insertOne = this.#db.prepare(`INSERT INTO staging VALUES ${tuple}`);
    this.#insertMany = this.#db.prepare(`INSERT INTO staging VALUES ${Array(ROWS_PER_INSERT).fill(tuple).join(', ')}`);
  }

  add(position: number, row: NamedBeneficiary, hashes: Buffer, at: number): void {
    if (!this.#inPart) {
      this.#db.exec('BEGIN');
      this.#inPart = true;
    }
    const values = this.#values;
    const v = this.#pending * SQLITE_COLUMNS;
    values[v] = position;
    values[v + 1] = row.id;
    values[v + 2] = hashes.subarray(at, at + MOBILE_HASH_BYTES);
    values[v + 3] = row.name;
    values[v + 4] = row.nameKey;
    values[v + 5] = row.vaccine;
    values[v + 6] = row.doses;
    values[v + 7] = row.lastDoseDate;
    if (++this.#pending === ROWS_PER_INSERT) {
      this.#insertMany.run(values);
      this.#pending = 0;
    }
  }

  endPart(): null {
    for (let r = 0; r < this.#pending; r++) this.#insertOne.run(this.#values.slice(r * SQLITE_COLUMNS, (r + 1) * SQLITE_COLUMNS));
    this.#pending = 0;
    if (this.#inPart) this.#db.exec('COMMIT');
    this.#inPart = false;
    return null;
  }

  close(): void {
    this.#db.close();
  }
}

// COPY's binary format: signature, flags, header extension length; each row its field count and
// each field its byte length (-1: NULL) and bytes (int4/int8 big-endian; text as UTF-8; bytea raw).
export const COPY_SIGNATURE = Buffer.from([0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00, 0, 0, 0, 0, 0, 0, 0, 0]);
export const COPY_TRAILER = Buffer.from([0xff, 0xff]);
/** The columns of beneficiaries in CopyRows.rows, in order: a row starts with its mobile hash, then its id. */
export const COPY_COLUMNS = 'mobile_hash, id, name, name_key, vaccine, doses, last_dose_date';
const COPY_FIELDS = 7;
/** A beneficiaries row's bytes besides its text: field count, 7 lengths, the hash and doses. */
const COPY_ROW_FIXED = 2 + COPY_FIELDS * 4 + MOBILE_HASH_BYTES + 4;
/** Where a CopyRows row's mobile hash starts, its id's length, its id. */
export const COPY_ROW_HASH_AT = 2 + 4;
export const COPY_ROW_ID_LENGTH_AT = COPY_ROW_HASH_AT + MOBILE_HASH_BYTES;
export const COPY_ROW_ID_AT = COPY_ROW_ID_LENGTH_AT + 4;

/** A thread's rows as CopyRows, one set a part. */
export class CopyRowsWriter implements StagingWriter {
  readonly #rows = new GrowingBuffer();
  readonly #ids = new GrowingBuffer();
  #rowEnds: number[] = [];
  #idEnds: number[] = [];
  #lines: number[] = [];

  add(position: number, row: NamedBeneficiary, hashes: Buffer, at: number): void {
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    const text = row.id.length + row.name.length + row.nameKey.length + (row.vaccine?.length ?? 0) + (row.lastDoseDate?.length ?? 0);
    const rows = this.#rows;
    let p = rows.reserve(COPY_ROW_FIXED + 3 * text);
    const buf = rows.buf;
    p = buf.writeInt16BE(COPY_FIELDS, p);
    p = buf.writeInt32BE(MOBILE_HASH_BYTES, p);
    p = copyHash(hashes, at, buf, p);
    p = copyText(buf, row.id, p);
    p = copyText(buf, row.name, p);
    p = copyText(buf, row.nameKey, p);
    p = copyText(buf, row.vaccine, p);
    p = buf.writeInt32BE(4, p);
    p = buf.writeInt32BE(row.doses, p);
    rows.at = copyText(buf, row.lastDoseDate, p);
    this.#rowEnds.push(rows.at);

    const ids = this.#ids;
    let q = ids.reserve(2 + 4 + 3 * row.id.length + 4 + MOBILE_HASH_BYTES);
    const idBuf = ids.buf;
    q = idBuf.writeInt16BE(2, q);
    q = copyText(idBuf, row.id, q);
    q = idBuf.writeInt32BE(MOBILE_HASH_BYTES, q);
    ids.at = copyHash(hashes, at, idBuf, q);
    this.#idEnds.push(ids.at);
    this.#lines.push(position % POSITIONS_PER_PART);
  }

  endPart(): CopyRows {
    const part = {
      rows: this.#rows.take(),
      ids: this.#ids.take(),
      rowEnds: Uint32Array.from(this.#rowEnds),
      idEnds: Uint32Array.from(this.#idEnds),
      lines: Uint32Array.from(this.#lines),
    };
    this.#rowEnds = [];
    this.#idEnds = [];
    this.#lines = [];
    return part;
  }

  close(): void {}
}

/** A text field: its UTF-8 length, then its bytes (NULL: length -1). */
function copyText(buf: Buffer, s: string | null, at: number): number {
  if (s === null) return buf.writeInt32BE(-1, at);
  // ASCII (nearly every field) byte by byte: a call to Buffer#write per field cost more than the copying.
  let p = at + 4;
  for (let i = 0; i < s.length; i++, p++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f) {
      p = at + 4 + buf.write(s, at + 4, 'utf8');
      break;
    }
    buf[p] = c;
  }
  buf.writeInt32BE(p - at - 4, at);
  return p;
}

/** Copies a mobile hash; returns where it ends (16 bytes: a loop beats Buffer#copy's call). */
function copyHash(from: Buffer, at: number, to: Buffer, p: number): number {
  for (let i = 0; i < MOBILE_HASH_BYTES; i++) to[p + i] = from[at + i]!;
  return p + MOBILE_HASH_BYTES;
}

class GrowingBuffer {
  buf = Buffer.allocUnsafe(1 << 20);
  at = 0;

  /** Room for `bytes` more; returns where they go. */
  reserve(bytes: number): number {
    if (this.at + bytes > this.buf.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.at + bytes));
      this.buf.copy(grown, 0, 0, this.at);
      this.buf = grown;
    }
    return this.at;
  }

  /** What was written, in memory of its own (it is transferred to the main thread); starts again. */
  take(): Buffer {
    const out = Buffer.allocUnsafeSlow(this.at);
    this.buf.copy(out, 0, 0, this.at);
    this.at = 0;
    return out;
  }
}
