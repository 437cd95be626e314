import { type Pool, type PoolClient, inTransaction, query } from '../store/postgres/pool.ts';
import { MOBILE_FULL_REASON, type StoredBeneficiary, storedBeneficiary } from './beneficiaries-table.ts';
import type { BeneficiaryInput } from './beneficiary-rows.ts';
import type { BulkLoad } from './bulk-load.ts';
import { MobileHasher } from './mobile-hash.ts';
import { MobileOccupancy } from './mobile-limit.ts';
import { PostgresBulkLoad, REGISTRY_WRITE_LOCK } from './postgres-bulk-load.ts';
import { readSchedulePg, ScheduleSeed } from './postgres-schedule.ts';
import type { RegistryAdmin, UpsertOutcome } from './registry-admin.ts';

// The operator's side of the registry in PostgreSQL: imports, seeding, counting. `beneficiaries`
// is keyed (mobile_hash, id), so "one record per id" is kept through `beneficiary_ids` (id → mobile):
// a row that moves an id to another mobile deletes the old row it finds there.

// REGISTRY_WRITE_LOCK serializes the registry's writers (imports, demo seeding, bulk loads) on one
// database: a batch reads who is on its mobiles and where its ids are, decides in memory, then
// writes; a second writer in between would make those reads stale. Imports are rare and admin-only:
// waiting is fine. (The migrator's lock is another key.)

/** An import's batch is not a request: it may take longer than the pool's request-sized statement_timeout. */
const IMPORT_STATEMENT_TIMEOUT = '120s';

const IDS_WHERE = 'SELECT id, mobile_hash FROM beneficiary_ids WHERE id = ANY($1::text[])';
const ON_MOBILES = 'SELECT mobile_hash, id FROM beneficiaries WHERE mobile_hash = ANY($1::bytea[])';
const DELETE_MOVED = `DELETE FROM beneficiaries b USING unnest($1::bytea[], $2::text[]) AS m(mobile_hash, id)
  WHERE b.mobile_hash = m.mobile_hash AND b.id = m.id`;
const UPSERT_BENEFICIARIES = `INSERT INTO beneficiaries (mobile_hash, id, name, name_key, vaccine, doses, last_dose_date)
  SELECT * FROM unnest($1::bytea[], $2::text[], $3::text[], $4::text[], $5::text[], $6::integer[], $7::text[])
  ON CONFLICT (mobile_hash, id) DO UPDATE SET name = excluded.name, name_key = excluded.name_key,
    vaccine = excluded.vaccine, doses = excluded.doses, last_dose_date = excluded.last_dose_date`;
const UPSERT_IDS = `INSERT INTO beneficiary_ids (id, mobile_hash) SELECT * FROM unnest($1::text[], $2::bytea[])
  ON CONFLICT (id) DO UPDATE SET mobile_hash = excluded.mobile_hash WHERE beneficiary_ids.mobile_hash <> excluded.mobile_hash`;

const hex = (b: Buffer) => b.toString('hex');

export class PostgresRegistryAdmin implements RegistryAdmin {
  readonly #pool: Pool;
  readonly #hasher: MobileHasher;
  readonly #seed: ScheduleSeed;

  constructor(pool: Pool, mobileKey: Buffer, seed = new ScheduleSeed(pool)) {
    this.#pool = pool;
    this.#hasher = new MobileHasher(mobileKey);
    this.#seed = seed;
  }

  /**
   * The same outcomes and the same rows as SqliteRegistryAdmin's row-by-row upserts in order, in
   * five statements whatever the batch's size: read the batch's mobiles and ids, replay the
   * per-mobile limit in memory (MobileOccupancy), then write each id's last accepted row.
   */
  async upsertBatch(rows: readonly BeneficiaryInput[]): Promise<UpsertOutcome[]> {
    if (rows.length === 0) return [];
    const stored = rows.map((row) => storedBeneficiary(row, this.#hasher));
    return inTransaction(this.#pool, async (client) => {
      await client.query(`SET LOCAL statement_timeout = '${IMPORT_STATEMENT_TIMEOUT}'`);
      await client.query('SELECT pg_advisory_xact_lock($1)', [REGISTRY_WRITE_LOCK]);
      const mobiles = new Map(stored.map((s) => [hex(s.mobileHash), s.mobileHash]));
      const ids = [...new Set(stored.map((s) => s.id))];
      const { rows: located } = await client.query<{ id: string; mobile_hash: Buffer }>(IDS_WHERE, [ids]);
      const { rows: present } = await client.query<{ id: string; mobile_hash: Buffer }>(ON_MOBILES, [[...mobiles.values()]]);

      const occupancy = new MobileOccupancy();
      for (const mobile of mobiles.keys()) occupancy.track(mobile);
      for (const p of present) occupancy.place(p.id, hex(p.mobile_hash));
      const outcomes: UpsertOutcome[] = [];
      // Each id ends as its last accepted row, as with upserts one after the other.
      const last = new Map<string, StoredBeneficiary>();
      for (const s of stored) {
        if (occupancy.admit(s.id, hex(s.mobileHash))) {
          outcomes.push({ ok: true });
          last.set(s.id, s);
        } else {
          outcomes.push({ ok: false, reason: MOBILE_FULL_REASON });
        }
      }
      await writeRows(client, [...last.values()], located);
      return outcomes;
    });
  }

  /** COPY, straight into an empty registry or into a temp table, in one transaction; unlike SQLite's, safe while the service serves (postgres-bulk-load.ts). */
  bulkLoad(): BulkLoad {
    return new PostgresBulkLoad(this.#pool, this.#hasher);
  }

  async count(): Promise<number> {
    const { rows } = await query<{ n: number }>(this.#pool, 'SELECT count(*)::bigint AS n FROM beneficiaries');
    return rows[0]!.n;
  }

  async schedule(): Promise<Record<string, number>> {
    await this.#seed.ensure();
    return Object.fromEntries(await readSchedulePg(this.#pool));
  }
}

/** Writes each id's final row: first deletes the rows of ids that move to another mobile, then upserts both tables. */
async function writeRows(client: PoolClient, rows: readonly StoredBeneficiary[], located: readonly { id: string; mobile_hash: Buffer }[]): Promise<void> {
  if (rows.length === 0) return;
  const target = new Map(rows.map((r) => [r.id, r.mobileHash]));
  const moved = located.filter((l) => {
    const to = target.get(l.id);
    return to !== undefined && !to.equals(l.mobile_hash);
  });
  if (moved.length > 0) await client.query(DELETE_MOVED, [moved.map((m) => m.mobile_hash), moved.map((m) => m.id)]);
  await client.query(UPSERT_BENEFICIARIES, [
    rows.map((r) => r.mobileHash),
    rows.map((r) => r.id),
    rows.map((r) => r.name),
    rows.map((r) => r.nameKey),
    rows.map((r) => r.vaccine),
    rows.map((r) => r.doses),
    rows.map((r) => r.lastDoseDate),
  ]);
  await client.query(UPSERT_IDS, [rows.map((r) => r.id), rows.map((r) => r.mobileHash)]);
}
