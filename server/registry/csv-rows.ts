import readline from 'node:readline';
import type { Readable } from 'node:stream';
import type { NamedBeneficiary } from './beneficiary-rows.ts';
import { parseCsvLine } from './csv.ts';
import { normaliseMobile } from './mobile.ts';
import { nameKey } from './names.ts';
import { vaccineKey } from './schedule.ts';

export const CSV_HEADER = ['beneficiary_id', 'mobile', 'name', 'vaccine', 'doses', 'last_dose_date'] as const;

export class CsvHeaderError extends Error {
  readonly code = 'csv_header_invalid';
}

export interface RowReaderOptions {
  schedule: Record<string, number>;
  today: string;
  batchSize: number;
  /** Each invalid row, as it is read. */
  onInvalid: (line: number, reason: string) => void;
  /** Each full batch of valid rows with their line numbers, awaited before reading on. */
  onBatch: (rows: NamedBeneficiary[], lines: number[]) => Promise<void>;
}

/**
 * Reads a registry CSV line by line (LF, CRLF or CR; a leading BOM), checks the header, validates
 * every row and hands the valid ones on in batches. Returns the number of data rows read.
 */
export async function readCsvRows(input: Readable, options: RowReaderOptions): Promise<number> {
  let rows: NamedBeneficiary[] = [];
  let lines: number[] = [];
  let rowsRead = 0;
  const reader = readline.createInterface({ input, crlfDelay: Infinity });
  let lineNo = 0;
  for await (const raw of reader) {
    lineNo++;
    if (lineNo === 1) {
      try {
        checkHeader(raw);
      } catch (err) {
        reader.close();
        throw err;
      }
      continue;
    }
    if (raw.trim() === '') continue;
    rowsRead++;
    const parsed = parseRow(raw, options.schedule, options.today);
    if (typeof parsed === 'string') {
      options.onInvalid(lineNo, parsed);
      continue;
    }
    rows.push(parsed);
    lines.push(lineNo);
    if (rows.length >= options.batchSize) {
      await options.onBatch(rows, lines);
      rows = [];
      lines = [];
    }
  }
  if (lineNo === 0) throw emptyFileError();
  if (rows.length > 0) await options.onBatch(rows, lines);
  return rowsRead;
}

/** Throws CsvHeaderError unless `raw` (line 1, as read) is the registry header. */
export function checkHeader(raw: string): void {
  const header = parseCsvLine(raw.replace(/^\uFEFF/, '').trim())?.map((h) => h.trim().toLowerCase());
  if (header?.join(',') !== CSV_HEADER.join(',')) throw new CsvHeaderError(`line 1: expected header "${CSV_HEADER.join(',')}"`);
}

export function emptyFileError(): CsvHeaderError {
  return new CsvHeaderError(`the file is empty: expected header "${CSV_HEADER.join(',')}"`);
}

const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** A valid row, or the reason it is refused. */
export function parseRow(line: string, schedule: Record<string, number>, today: string): NamedBeneficiary | string {
  if (line.length > 2000) return 'row longer than 2000 characters';
  const fields = parseCsvLine(line);
  if (!fields) return 'unbalanced quotes';
  if (fields.length !== CSV_HEADER.length) return `expected ${CSV_HEADER.length} fields, found ${fields.length}`;
  const [id, mobileRaw, name, vaccineRaw, dosesRaw, dateRaw] = fields.map((f) => f.trim()) as [
    string, string, string, string, string, string,
  ];
  if (!ID_PATTERN.test(id)) return 'beneficiary_id must be 1-64 letters, digits, "_" or "-"';
  const mobile = normaliseMobile(mobileRaw);
  if (!mobile) return 'mobile is not a 10-digit Indian mobile number';
  if (name.length > 200) return 'name longer than 200 characters';
  const key = nameKey(name);
  if (key === '') return 'name is empty';
  if (!/^\d{1,2}$/.test(dosesRaw)) return 'doses must be a whole number from 0 to 99';
  const doses = Number(dosesRaw);
  if (doses === 0) {
    if (vaccineRaw !== '' || dateRaw !== '') return 'a beneficiary with 0 doses has no vaccine or dose date';
    return { id, mobile, name, nameKey: key, vaccine: null, doses, lastDoseDate: null };
  }
  const vaccine = cachedVaccineKey(vaccineRaw);
  if (vaccine === '') return 'vaccine is required when doses > 0';
  if (!(vaccine in schedule)) return `unknown vaccine "${vaccineRaw.slice(0, 40)}"`;
  if (!isCalendarDate(dateRaw)) return 'last_dose_date must be a date YYYY-MM-DD';
  if (dateRaw > today) return 'last_dose_date is in the future';
  return { id, mobile, name, nameKey: key, vaccine, doses, lastDoseDate: dateRaw };
}

// A registry names a handful of vaccines a million times: NFKC and two regular expressions per
// row were a tenth of parsing. Bounded, so a file of distinct junk cannot grow it.
const vaccineKeys = new Map<string, string>();
function cachedVaccineKey(raw: string): string {
  let key = vaccineKeys.get(raw);
  if (key === undefined) {
    if (vaccineKeys.size >= 256) vaccineKeys.clear();
    key = vaccineKey(raw);
    vaccineKeys.set(raw, key);
  }
  return key;
}

/** YYYY-MM-DD naming a day that exists (proleptic Gregorian), read character by character (a regular expression's match cost a twentieth of parsing). */
function isCalendarDate(text: string): boolean {
  if (text.length !== 10 || text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45) return false; // 45: "-"
  const year = digits(text, 0, 4);
  const month = digits(text, 5, 7);
  const day = digits(text, 8, 10);
  if (year < 0 || month < 1 || month > 12 || day < 1) return false;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return day <= (month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]!);
}

/** The number text[from .. to] spells in ASCII digits, or -1 if any other character is there. */
function digits(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}
