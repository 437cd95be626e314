import type { VaccinationStatus } from '../../protocol/api.ts';
import type { Db } from '../store/database.ts';
import { MobileHasher } from './mobile-hash.ts';
import { type KeyedBeneficiaryRow, lookupOnMobile } from './lookup-rows.ts';
import { nameKey } from './names.ts';
import { readSchedule, seedDefaultSchedule } from './schedule-table.ts';

// The registry as a request sees it: a mobile's keyed hash and a lookup, nothing that writes.
// Imports, bulk loads and counts are the admin side (registry-admin.ts), which this never imports.

export interface RegistryLookup {
  /** Some beneficiary is registered on this mobile (decides whether an SMS is sent; never shown to a client). */
  registered: boolean;
  /** The beneficiary on that mobile whose name matches, if any. */
  match: { beneficiaryId: string; status: VaccinationStatus } | null;
}

/** The registry the service answers from. Implementations: SQLite here, PostgreSQL (postgres.ts). */
export interface Registry {
  /** The keyed hash a mobile number is stored and looked up as. */
  mobileHash(mobile: string): Buffer;
  lookup(mobile: string, name: string): Promise<RegistryLookup>;
  /** `lookup` for a mobile already hashed and a name already keyed (the request path does both once). */
  lookupKeyed(mobileHash: Buffer, nameKey: string): Promise<RegistryLookup>;
  /** Who is registered on this mobile, by name: for the mobile's owner once they proved it (the citizen's own history). */
  beneficiariesOn(mobileHash: Buffer): Promise<{ beneficiaryId: string; name: string }[]>;
}

export class SqliteRegistry implements Registry {
  readonly #db: Db;
  readonly #hasher: MobileHasher;
  readonly #byMobile;
  readonly #namesByMobile;
  #scheduleCache: Map<string, number> | null = null;

  constructor(db: Db, mobileKey: Buffer) {
    this.#db = db;
    this.#hasher = new MobileHasher(mobileKey);
    this.#byMobile = db.prepare<[Buffer], KeyedBeneficiaryRow>(
      'SELECT id, name_key, vaccine, doses FROM beneficiaries WHERE mobile_hash = ? LIMIT 16',
    );
    this.#namesByMobile = db.prepare<[Buffer], { id: string; name: string }>(
      'SELECT id, name FROM beneficiaries WHERE mobile_hash = ? ORDER BY name, id LIMIT 16',
    );
    seedDefaultSchedule(db);
  }

  mobileHash(mobile: string): Buffer {
    return this.#hasher.hash(mobile);
  }

  async lookup(mobile: string, name: string): Promise<RegistryLookup> {
    return this.lookupKeyed(this.mobileHash(mobile), nameKey(name));
  }

  async lookupKeyed(mobileHash: Buffer, key: string): Promise<RegistryLookup> {
    this.#scheduleCache ??= readSchedule(this.#db);
    return lookupOnMobile(this.#byMobile.all(mobileHash), key, this.#scheduleCache);
  }

  async beneficiariesOn(mobileHash: Buffer): Promise<{ beneficiaryId: string; name: string }[]> {
    return this.#namesByMobile.all(mobileHash).map((r) => ({ beneficiaryId: r.id, name: r.name }));
  }
}
