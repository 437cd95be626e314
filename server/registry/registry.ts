import type { VaccinationStatus } from '../../protocol/api.ts';
import type { Db } from '../store/database.ts';
import { keyedHash } from '../store/secrets.ts';
import { nameKey } from './names.ts';
import { DEFAULT_SCHEDULE, vaccineKey } from './schedule.ts';
import { statusFor } from './status.ts';

export const MAX_BENEFICIARIES_PER_MOBILE = 6;

/** One vaccination record as imported. `mobile` is the normalised 10-digit number; it is hashed before storage. */
export interface BeneficiaryInput {
  id: string;
  mobile: string;
  name: string;
  vaccine: string | null;
  doses: number;
  lastDoseDate: string | null;
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
  readonly #mobileKey: Buffer;
  readonly #byMobile;
  readonly #scheduleRows;
  readonly #countOnMobile;
  readonly #upsert;
  #scheduleCache: Map<string, number> | null = null;

  constructor(db: Db, mobileKey: Buffer) {
    this.#db = db;
    this.#mobileKey = mobileKey;
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
      `INSERT INTO beneficiaries (id, mobile_hash, name, name_key, vaccine, doses, last_dose_date)
       VALUES (@id, @mobileHash, @name, @nameKey, @vaccine, @doses, @lastDoseDate)
       ON CONFLICT (id) DO UPDATE SET mobile_hash = excluded.mobile_hash, name = excluded.name,
         name_key = excluded.name_key, vaccine = excluded.vaccine, doses = excluded.doses,
         last_dose_date = excluded.last_dose_date`,
    );
    const seed = db.prepare('INSERT OR IGNORE INTO vaccine_schedules (vaccine, primary_doses) VALUES (?, ?)');
    db.transaction(() => {
      for (const [vaccine, doses] of Object.entries(DEFAULT_SCHEDULE)) seed.run(vaccine, doses);
    })();
  }

  mobileHash(mobile: string): Buffer {
    // 128 bits are ample for a lookup key and halve the size of the busiest index.
    return keyedHash(this.#mobileKey, 'mobile', mobile).subarray(0, 16);
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
        if (others >= MAX_BENEFICIARIES_PER_MOBILE) {
          return { ok: false, reason: `mobile already has ${MAX_BENEFICIARIES_PER_MOBILE} beneficiaries` };
        }
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
