import type { Db } from '../store/database.ts';
import { BENEFICIARY_COLUMNS, MAX_BENEFICIARIES_PER_MOBILE, MOBILE_FULL_REASON, ON_ID_CONFLICT_UPDATE, storedBeneficiary } from './beneficiaries-table.ts';
import type { BeneficiaryInput } from './beneficiary-rows.ts';
import { type BulkLoad, SqliteBulkLoad } from './bulk-load.ts';
import { MobileHasher } from './mobile-hash.ts';
import { readSchedule, seedDefaultSchedule } from './schedule-table.ts';

// The operator's side of the registry: imports (row by row or bulk), seeding, counting. No
// request uses it; the request path's lookups are registry.ts.

export type UpsertOutcome = { ok: true } | { ok: false; reason: string };

/** Writing and inspecting the registry. Implementations: SQLite here, PostgreSQL (postgres-admin.ts). */
export interface RegistryAdmin {
  /** Writes a batch atomically; each row gets its outcome (a refused row does not affect the others). */
  upsertBatch(rows: readonly BeneficiaryInput[]): Promise<UpsertOutcome[]>;
  bulkLoad(): BulkLoad;
  count(): Promise<number>;
  /** Primary doses by vaccine key: an import refuses a vaccine not in it. */
  schedule(): Promise<Record<string, number>>;
}

export class SqliteRegistryAdmin implements RegistryAdmin {
  readonly #db: Db;
  readonly #hasher: MobileHasher;
  readonly #countOnMobile;
  readonly #upsert;

  constructor(db: Db, mobileKey: Buffer) {
    this.#db = db;
    this.#hasher = new MobileHasher(mobileKey);
    this.#countOnMobile = db.prepare<[Buffer, string], { n: number }>(
      'SELECT count(*) AS n FROM beneficiaries WHERE mobile_hash = ? AND id <> ?',
    );
    this.#upsert = db.prepare(
      `INSERT INTO beneficiaries (${BENEFICIARY_COLUMNS})
       VALUES (@id, @mobileHash, @name, @nameKey, @vaccine, @doses, @lastDoseDate) ${ON_ID_CONFLICT_UPDATE}`,
    );
    seedDefaultSchedule(db);
  }

  async upsertBatch(rows: readonly BeneficiaryInput[]): Promise<UpsertOutcome[]> {
    return this.#db.transaction(() =>
      rows.map((row): UpsertOutcome => {
        const stored = storedBeneficiary(row, this.#hasher);
        const others = this.#countOnMobile.get(stored.mobileHash, row.id)!.n;
        if (others >= MAX_BENEFICIARIES_PER_MOBILE) return { ok: false, reason: MOBILE_FULL_REASON };
        this.#upsert.run(stored);
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
    return Object.fromEntries(readSchedule(this.#db));
  }
}
