import readline from 'node:readline';
import type { Readable } from 'node:stream';
import { parseCsvLine } from './csv.ts';
import { normaliseMobile } from './mobile.ts';
import { nameKey } from './names.ts';
import type { BeneficiaryInput, Registry } from './registry.ts';
import { vaccineKey } from './schedule.ts';

export const CSV_HEADER = ['beneficiary_id', 'mobile', 'name', 'vaccine', 'doses', 'last_dose_date'] as const;

export interface RejectedRow {
  line: number;
  reason: string;
}

export interface ImportReport {
  rowsRead: number;
  imported: number;
  rejected: number;
  seconds: number;
}

export class CsvHeaderError extends Error {
  readonly code = 'csv_header_invalid';
}

export interface ImportOptions {
  batchSize?: number;
  /** Called for every refused row, as it is found, so a report of any size streams out. */
  onReject?: (row: RejectedRow) => void;
  today?: string;
}

/**
 * Streams a registry CSV into the registry in batches, one transaction each. A bad row is
 * reported with its line number and skipped; it never aborts the import or leaves half a row.
 */
export async function importCsv(input: Readable, registry: Registry, options: ImportOptions = {}): Promise<ImportReport> {
  const started = process.hrtime.bigint();
  // Large batches: each commit rewrites the random index pages it touched, so fewer commits write less.
  const batchSize = options.batchSize ?? 20_000;
  const today = options.today ?? new Date().toISOString().slice(0, 10);
  const schedule = await registry.schedule();
  const report: ImportReport = { rowsRead: 0, imported: 0, rejected: 0, seconds: 0 };
  const reject = (line: number, reason: string) => {
    report.rejected++;
    options.onReject?.({ line, reason });
  };

  let batch: BeneficiaryInput[] = [];
  let batchLines: number[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const outcomes = await registry.upsertBatch(batch);
    outcomes.forEach((outcome, i) => {
      if (outcome.ok) report.imported++;
      else reject(batchLines[i]!, outcome.reason);
    });
    batch = [];
    batchLines = [];
  };

  const lines = readline.createInterface({ input, crlfDelay: Infinity });
  let lineNo = 0;
  for await (const raw of lines) {
    lineNo++;
    const line = lineNo === 1 ? raw.replace(/^\uFEFF/, '') : raw;
    if (lineNo === 1) {
      const header = parseCsvLine(line.trim())?.map((h) => h.trim().toLowerCase());
      if (header?.join(',') !== CSV_HEADER.join(',')) {
        lines.close();
        throw new CsvHeaderError(`line 1: expected header "${CSV_HEADER.join(',')}"`);
      }
      continue;
    }
    if (line.trim() === '') continue;
    report.rowsRead++;
    const parsed = parseRow(line, schedule, today);
    if (typeof parsed === 'string') {
      reject(lineNo, parsed);
      continue;
    }
    batch.push(parsed);
    batchLines.push(lineNo);
    if (batch.length >= batchSize) await flush();
  }
  if (lineNo === 0) throw new CsvHeaderError(`the file is empty: expected header "${CSV_HEADER.join(',')}"`);
  await flush();
  report.seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return report;
}

const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
const DATE_PATTERN = /^\d{4}-\d{2}-\d{2}$/;

/** A valid row, or the reason it is refused. */
function parseRow(line: string, schedule: Record<string, number>, today: string): BeneficiaryInput | string {
  if (line.length > 2000) return 'row longer than 2000 characters';
  const fields = parseCsvLine(line);
  if (!fields) return 'unbalanced quotes';
  if (fields.length !== CSV_HEADER.length) return `expected ${CSV_HEADER.length} fields, found ${fields.length}`;
  const [id, mobileRaw, nameRaw, vaccineRaw, dosesRaw, dateRaw] = fields.map((f) => f.trim()) as [
    string, string, string, string, string, string,
  ];
  if (!ID_PATTERN.test(id)) return 'beneficiary_id must be 1-64 letters, digits, "_" or "-"';
  const mobile = normaliseMobile(mobileRaw);
  if (!mobile) return 'mobile is not a 10-digit Indian mobile number';
  if (nameRaw.length > 200) return 'name longer than 200 characters';
  if (nameKey(nameRaw) === '') return 'name is empty';
  if (!/^\d{1,2}$/.test(dosesRaw)) return 'doses must be a whole number from 0 to 99';
  const doses = Number(dosesRaw);
  if (doses === 0) {
    if (vaccineRaw !== '' || dateRaw !== '') return 'a beneficiary with 0 doses has no vaccine or dose date';
    return { id, mobile, name: nameRaw, vaccine: null, doses, lastDoseDate: null };
  }
  const vaccine = vaccineKey(vaccineRaw);
  if (vaccine === '') return 'vaccine is required when doses > 0';
  if (!(vaccine in schedule)) return `unknown vaccine "${vaccineRaw.slice(0, 40)}"`;
  if (!DATE_PATTERN.test(dateRaw) || Number.isNaN(Date.parse(dateRaw)) || new Date(dateRaw).toISOString().slice(0, 10) !== dateRaw) {
    return 'last_dose_date must be a date YYYY-MM-DD';
  }
  if (dateRaw > today) return 'last_dose_date is in the future';
  return { id, mobile, name: nameRaw, vaccine, doses, lastDoseDate: dateRaw };
}
