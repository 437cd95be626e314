import type { Readable } from 'node:stream';
import { readCsvInParts } from './csv-parallel.ts';
import { readCsvRows } from './csv-rows.ts';
import type { RegistryAdmin } from './registry-admin.ts';

export interface RejectedRow {
  line: number;
  reason: string;
}

export interface ImportReport {
  rowsRead: number;
  imported: number;
  rejected: number;
  seconds: number;
  /** Bulk: seconds of the final transaction (the rest is reading, checking and staging); 0 otherwise. */
  commitSeconds: number;
}

export interface ImportOptions {
  /** Rows per transaction on the default path. */
  batchSize?: number;
  /** Bulk: bytes of CSV per part handed to a parsing thread (512 KiB; tests use small parts). */
  partBytes?: number;
  /**
   * Offline bulk load (the CLI's --bulk): rows are staged, then the per-mobile limit and the
   * writes are applied in one transaction at the end. Several times faster on large files, but
   * that transaction holds the registry's write lock for seconds per million rows, so the
   * service's own writes would time out: for a service that is not taking traffic.
   */
  bulk?: boolean;
  /**
   * Called for every refused row, so a report of any size streams out: invalid rows as they are
   * read; rows over the per-mobile limit after their batch (or, in bulk, after the commit).
   */
  onReject?: (row: RejectedRow) => void;
  today?: string;
}

/**
 * Imports a registry CSV. By default it upserts in batches, one short transaction each, safe while
 * the server runs. A bad row is reported with its line number and skipped; it never aborts the
 * import or leaves half a row. Either way the same rows land and the same lines are refused.
 */
export async function importCsv(input: Readable, registry: RegistryAdmin, options: ImportOptions = {}): Promise<ImportReport> {
  const started = process.hrtime.bigint();
  const report: ImportReport = { rowsRead: 0, imported: 0, rejected: 0, seconds: 0, commitSeconds: 0 };
  const reject = (line: number, reason: string) => {
    report.rejected++;
    options.onReject?.({ line, reason });
  };
  const reading = {
    schedule: await registry.schedule(),
    today: options.today ?? new Date().toISOString().slice(0, 10),
    onInvalid: reject,
  };

  if (options.bulk) {
    const load = registry.bulkLoad();
    try {
      // Other threads split, check, hash and stage; this one hands the load each part, in file order.
      report.rowsRead = await readCsvInParts(input, {
        ...reading,
        staging: load.staging,
        partBytes: options.partBytes ?? 512 * 1024,
        onPart: (part) => load.stage(part),
      });
    } catch (err) {
      load.discard();
      throw err;
    }
    const committing = process.hrtime.bigint();
    report.imported = await load.commit(reject);
    report.commitSeconds = Number(process.hrtime.bigint() - committing) / 1e9;
  } else {
    report.rowsRead = await readCsvRows(input, {
      ...reading,
      // Large batches: each commit rewrites the random index pages it touched, so fewer commits write less.
      batchSize: options.batchSize ?? 20_000,
      onBatch: async (rows, lines) => {
        const outcomes = await registry.upsertBatch(rows);
        outcomes.forEach((outcome, i) => {
          if (outcome.ok) report.imported++;
          else reject(lines[i]!, outcome.reason);
        });
      },
    });
  }
  report.seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return report;
}
