import { type Pool, prepared, query } from '../store/postgres/pool.ts';
import { type KeyedBeneficiaryRow, lookupOnMobile } from './lookup-rows.ts';
import { MobileHasher } from './mobile-hash.ts';
import { nameKey } from './names.ts';
import { PostgresRegistryAdmin } from './postgres-admin.ts';
import { readSchedulePg, ScheduleSeed } from './postgres-schedule.ts';
import type { Registry, RegistryLookup } from './registry.ts';
import { type RegistryWithAdmin, withAdmin } from './registry-with-admin.ts';

// The registry as a request sees it, in PostgreSQL: every statement names one mobile hash, so it
// reads one partition (one shard on Citus). Same answers as SqliteRegistry (lookup-rows.ts).

const BY_MOBILE = prepared('registry_by_mobile', 'SELECT id, name_key, vaccine, doses FROM beneficiaries WHERE mobile_hash = $1 LIMIT 16');
// COLLATE "C": byte order, as SQLite's BINARY sorts the same UTF-8 text (the database's locale would not).
const NAMES_BY_MOBILE = prepared(
  'registry_names_by_mobile',
  'SELECT id, name FROM beneficiaries WHERE mobile_hash = $1 ORDER BY name COLLATE "C", id COLLATE "C" LIMIT 16',
);

export class PostgresRegistry implements Registry {
  readonly #pool: Pool;
  readonly #hasher: MobileHasher;
  readonly #seed: ScheduleSeed;
  // Read once per process, as SQLite's: schedules change with a deploy, not between requests.
  #schedule: Promise<Map<string, number>> | null = null;

  constructor(pool: Pool, mobileKey: Buffer, seed = new ScheduleSeed(pool)) {
    this.#pool = pool;
    this.#hasher = new MobileHasher(mobileKey);
    this.#seed = seed;
  }

  mobileHash(mobile: string): Buffer {
    return this.#hasher.hash(mobile);
  }

  async lookup(mobile: string, name: string): Promise<RegistryLookup> {
    return this.lookupKeyed(this.mobileHash(mobile), nameKey(name));
  }

  async lookupKeyed(mobileHash: Buffer, key: string): Promise<RegistryLookup> {
    const [{ rows }, schedule] = await Promise.all([query<KeyedBeneficiaryRow>(this.#pool, BY_MOBILE, [mobileHash]), this.#readSchedule()]);
    return lookupOnMobile(rows, key, schedule);
  }

  async beneficiariesOn(mobileHash: Buffer): Promise<{ beneficiaryId: string; name: string }[]> {
    const { rows } = await query<{ id: string; name: string }>(this.#pool, NAMES_BY_MOBILE, [mobileHash]);
    return rows.map((r) => ({ beneficiaryId: r.id, name: r.name }));
  }

  #readSchedule(): Promise<Map<string, number>> {
    this.#schedule ??= this.#seed
      .ensure()
      .then(() => readSchedulePg(this.#pool))
      .catch((err: unknown) => {
        this.#schedule = null; // the database was away: read it on the next lookup
        throw err;
      });
    return this.#schedule;
  }
}

/** The PostgreSQL registry's request side (lookups) and admin side (imports, counts) over one pool and key: sqliteRegistry's shape. */
export function postgresRegistry(pool: Pool, mobileKey: Buffer): RegistryWithAdmin {
  const seed = new ScheduleSeed(pool);
  return withAdmin(new PostgresRegistry(pool, mobileKey, seed), new PostgresRegistryAdmin(pool, mobileKey, seed));
}
