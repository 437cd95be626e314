import type { VaccinationStatus } from '../../protocol/api.ts';
import type { Db } from '../store/database.ts';
import { BENEFICIARY_COLUMNS, MAX_BENEFICIARIES_PER_MOBILE, MOBILE_FULL_REASON, ON_ID_CONFLICT_UPDATE } from './beneficiaries-table.ts';
import { SqliteBulkLoad } from './bulk-load.ts';
import { MobileHasher } from './mobile-hash.ts';
import { nameKey } from './names.ts';
import { DEFAULT_SCHEDULE, vaccineKey } from './schedule.ts';
import { statusFor } from './status.ts';

/** One vaccination record as imported. `mobile` is the normalised 10-digit number; it is hashed before storage. */
export interface BeneficiaryInput {
  id: string;
  mobile: string;
  name: string;
  vaccine: string | null;
  doses: number;
  lastDoseDate: string | null;
}

/** A row whose name key the caller computed already (the CSV reader does, to refuse nameless rows). */
export interface NamedBeneficiary extends BeneficiaryInput {
  nameKey: string;
}

/** Valid rows in columns, mobiles already hashed (16 bytes each, in order), with their CSV line numbers. */
export interface StagedRows {
  lines: number[];
  ids: string[];
  mobileHashes: Buffer;
  names: string[];
  nameKeys: string[];
  vaccines: (string | null)[];
  doses: number[];
  lastDoseDates: (string | null)[];
}

/**
 * A large import for a registry that is not taking traffic: rows are staged where nobody sees
 * them, then `commit` applies the per-mobile limit to all of them at once, exactly as row-by-row
 * upserts in line order would (later lines lose), and writes the rest in one transaction.
 */
export interface BulkLoad {
  /** The key mobiles are hashed with: the bulk reader hashes them on its own thread. */
  readonly mobileKey: Buffer;
  stage(rows: StagedRows): Promise<void>;
  /** Writes every staged row the limit allows, atomically, then reports each refused line in order; ends the load. Returns rows written. */
  commit(onRefused: (line: number, reason: string) => void): Promise<number>;
  /** Abandons the load before commit (the import failed): drops what was staged. */
  discard(): void;
}

export interface RegistryLookup {
  /** Some beneficiary is registered on this mobile (decides whether an SMS is sent; never shown to a client). */
  registered: boolean;
  /** The beneficiary on that mobile whose name matches, if any. */
  match: { beneficiaryId: string; status: VaccinationStatus } | null;
}

export type UpsertOutcome = { ok: true } | { ok: false; reason: string };

/** The registry the service answers from. Implementations: SQLite here; a server database later. */
export interface Registry {
  /** The keyed hash a mobile number is stored and looked up as. */
  mobileHash(mobile: string): Buffer;
  lookup(mobile: string, name: string): Promise<RegistryLookup>;
  /** Writes a batch atomically; each row gets its outcome (a refused row does not affect the others). */
  upsertBatch(rows: readonly BeneficiaryInput[]): Promise<UpsertOutcome[]>;
  bulkLoad(): BulkLoad;
  count(): Promise<number>;
  schedule(): Promise<Record<string, number>>;
}

interface BeneficiaryRow {
  id: string;
  name_key: string;
  vaccine: string | null;
  doses: number;
}

export class SqliteRegistry implements Registry {
  readonly #db: Db;
  readonly #hasher: MobileHasher;
  readonly #byMobile;
  readonly #scheduleRows;
  readonly #countOnMobile;
  readonly #upsert;
  #scheduleCache: Map<string, number> | null = null;

  constructor(db: Db, mobileKey: Buffer) {
    this.#db = db;
    this.#hasher = new MobileHasher(mobileKey);
    this.#byMobile = db.prepare<[Buffer], BeneficiaryRow>(
      'SELECT id, name_key, vaccine, doses FROM beneficiaries WHERE mobile_hash = ? LIMIT 16',
    );
    this.#scheduleRows = db.prepare<[], { vaccine: string; primary_doses: number }>(
      'SELECT vaccine, primary_doses FROM vaccine_schedules',
    );
    this.#countOnMobile = db.prepare<[Buffer, string], { n: number }>(
      'SELECT count(*) AS n FROM beneficiaries WHERE mobile_hash = ? AND id <> ?',
    );
    this.#upsert = db.prepare(
      `INSERT INTO beneficiaries (${BENEFICIARY_COLUMNS})
       VALUES (@id, @mobileHash, @name, @nameKey, @vaccine, @doses, @lastDoseDate) ${ON_ID_CONFLICT_UPDATE}`,
    );
    const seed = db.prepare('INSERT OR IGNORE INTO vaccine_schedules (vaccine, primary_doses) VALUES (?, ?)');
    db.transaction(() => {
      for (const [vaccine, doses] of Object.entries(DEFAULT_SCHEDULE)) seed.run(vaccine, doses);
    })();
  }

  mobileHash(mobile: string): Buffer {
    return this.#hasher.hash(mobile);
  }

  async lookup(mobile: string, name: string): Promise<RegistryLookup> {
    const rows = this.#byMobile.all(this.mobileHash(mobile));
    const key = nameKey(name);
    const hit = key === '' ? undefined : rows.find((r) => r.name_key === key);
    if (!hit) return { registered: rows.length > 0, match: null };
    const primary = hit.vaccine === null ? undefined : this.#primaryDoses(hit.vaccine);
    return { registered: true, match: { beneficiaryId: hit.id, status: statusFor(hit.doses, primary) } };
  }

  async upsertBatch(rows: readonly BeneficiaryInput[]): Promise<UpsertOutcome[]> {
    return this.#db.transaction(() =>
      rows.map((row): UpsertOutcome => {
        const mobileHash = this.mobileHash(row.mobile);
        const others = this.#countOnMobile.get(mobileHash, row.id)!.n;
        if (others >= MAX_BENEFICIARIES_PER_MOBILE) return { ok: false, reason: MOBILE_FULL_REASON };
        this.#upsert.run({
          id: row.id,
          mobileHash,
          name: row.name,
          nameKey: nameKey(row.name),
          vaccine: row.vaccine === null ? null : vaccineKey(row.vaccine),
          doses: row.doses,
          lastDoseDate: row.lastDoseDate,
        });
        return { ok: true };
      }),
    )();
  }

  bulkLoad(): BulkLoad {
    return new SqliteBulkLoad(this.#db, this.#hasher);
  }

  async count(): Promise<number> {
    return (this.#db.prepare('SELECT count(*) AS n FROM beneficiaries').get() as { n: number }).n;
  }

  async schedule(): Promise<Record<string, number>> {
    return Object.fromEntries(this.#loadSchedule());
  }

  #primaryDoses(vaccine: string): number | undefined {
    return this.#loadSchedule().get(vaccineKey(vaccine));
  }

  #loadSchedule(): Map<string, number> {
    this.#scheduleCache ??= new Map(this.#scheduleRows.all().map((r) => [r.vaccine, r.primary_doses]));
    return this.#scheduleCache;
  }
}
