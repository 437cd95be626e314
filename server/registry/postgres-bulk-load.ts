import { once } from 'node:events';
import { from as copyFrom, type CopyStreamQuery } from 'pg-copy-streams';
import { mapDatabaseError, type Pool, type PoolClient } from '../store/postgres/pool.ts';
import { MAX_BENEFICIARIES_PER_MOBILE, MOBILE_FULL_REASON } from './beneficiaries-table.ts';
import type { StagedRows } from './beneficiary-rows.ts';
import { type BulkLoad, BulkLoadError } from './bulk-load.ts';
import { MOBILE_HASH_BYTES, type MobileHasher } from './mobile-hash.ts';
import { MobileOccupancy } from './mobile-limit.ts';
import { MobilePrefixCounts, RepeatedIds } from './staged-counts.ts';

/**
 * The registry's writers' lock (postgres-admin.ts takes it per batch): the final transaction holds
 * it, so batched imports and demo seeding wait for it instead of reading a registry about to change.
 */
export const REGISTRY_WRITE_LOCK = 0x6b796376_72; // "kycvr"

/** The staging table's local buffers: a temp table is cached per connection, 8 MB by default. */
const STAGING_BUFFERS = '1GB';
/** Sorting the rows into key order first turns each index's random inserts into appends. */
const SORT_MEMORY = '256MB';

const STAGING = `CREATE TEMP TABLE bulk_staging (
  line integer NOT NULL, id text NOT NULL, mobile_hash bytea NOT NULL, name text NOT NULL,
  name_key text NOT NULL, vaccine text, doses integer NOT NULL, last_dose_date text)`;
const COLUMNS = 'mobile_hash, id, name, name_key, vaccine, doses, last_dose_date';

// COPY's binary format: signature, flags, header extension length; each row its field count and
// each field its byte length (-1: NULL) and bytes (int4 big-endian; text as UTF-8; bytea raw).
const COPY_SIGNATURE = Buffer.from([0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00, 0, 0, 0, 0, 0, 0, 0, 0]);
const COPY_TRAILER = Buffer.from([0xff, 0xff]);
const STAGING_FIELDS = 8;

/** `rows` as COPY binary rows of bulk_staging's columns, in order. */
export function copyBinaryRows(rows: StagedRows): Buffer {
  const n = rows.lines.length;
  // UTF-8 is at most 3 bytes per UTF-16 unit.
  let bound = 0;
  for (let i = 0; i < n; i++) {
    bound += rows.ids[i]!.length + rows.names[i]!.length + rows.nameKeys[i]!.length + (rows.vaccines[i]?.length ?? 0) + (rows.lastDoseDates[i]?.length ?? 0);
  }
  const buf = Buffer.allocUnsafe(bound * 3 + n * (2 + STAGING_FIELDS * 4 + 4 + MOBILE_HASH_BYTES + 4));
  let at = 0;
  const text = (s: string | null) => {
    if (s === null) {
      at = buf.writeInt32BE(-1, at);
      return;
    }
    const written = buf.write(s, at + 4, 'utf8');
    buf.writeInt32BE(written, at);
    at += 4 + written;
  };
  const int4 = (v: number) => {
    at = buf.writeInt32BE(4, at);
    at = buf.writeInt32BE(v, at);
  };
  for (let i = 0; i < n; i++) {
    at = buf.writeInt16BE(STAGING_FIELDS, at);
    int4(rows.lines[i]!);
    text(rows.ids[i]!);
    at = buf.writeInt32BE(MOBILE_HASH_BYTES, at);
    at += rows.mobileHashes.copy(buf, at, i * MOBILE_HASH_BYTES, (i + 1) * MOBILE_HASH_BYTES);
    text(rows.names[i]!);
    text(rows.nameKeys[i]!);
    text(rows.vaccines[i]!);
    int4(rows.doses[i]!);
    text(rows.lastDoseDates[i]!);
  }
  return buf.subarray(0, at);
}

/**
 * PostgreSQL bulk load: rows are streamed with COPY (binary) into a temp table on one connection of
 * its own, then `commit` applies the per-mobile limit as row-by-row upserts in line order would
 * (later lines lose), keeps each id's last accepted row, and writes them in one transaction.
 *
 * Safe while the service serves: staging is that connection's temp table (no lock on the registry,
 * nothing left behind by a crash). The final transaction takes the registry writers' advisory lock
 * and ROW EXCLUSIVE on beneficiaries (its partitions) and beneficiary_ids — what any INSERT takes:
 * lookups read the previous registry (MVCC) until it commits and are never blocked; only other
 * registry writers (imports, demo seeding) wait for it. No index is dropped (that would need ACCESS
 * EXCLUSIVE, blocking lookups).
 */
export class PostgresBulkLoad implements BulkLoad {
  readonly #pool: Pool;
  readonly #hasher: MobileHasher;
  readonly #prefixes = new MobilePrefixCounts();
  readonly #repeated = new RepeatedIds();
  #client: Promise<PoolClient> | null = null;
  #copy: CopyStreamQuery | null = null;
  #copyFailed: Error | null = null;
  /** The chunk being written: one in flight while the next is encoded. */
  #writing: Promise<void> = Promise.resolve();
  #staged = 0;
  #open = true;

  constructor(pool: Pool, hasher: MobileHasher) {
    this.#pool = pool;
    this.#hasher = hasher;
  }

  get mobileKey(): Buffer {
    return this.#hasher.key;
  }

  async stage(rows: StagedRows): Promise<void> {
    this.#check();
    const copy = await this.#copyStream();
    this.#prefixes.add(rows);
    this.#repeated.add(rows);
    const chunk = copyBinaryRows(rows);
    await this.#writing;
    this.#writing = new Promise<void>((resolve, reject) => copy.write(chunk, (err) => (err ? reject(mapDatabaseError(err)) : resolve())));
    // A failed write is reported by the next stage or by commit; never left unhandled.
    this.#writing.catch(() => undefined);
    this.#staged += rows.lines.length;
  }

  async commit(onRefused: (line: number, reason: string) => void): Promise<number> {
    this.#check();
    let refused: number[];
    try {
      const copy = await this.#copyStream();
      await this.#writing;
      copy.end(COPY_TRAILER);
      await once(copy, 'finish');
      if (this.#copyFailed) throw this.#copyFailed;
      const client = await this.#client!;
      refused = await this.#write(client);
    } catch (err) {
      throw mapDatabaseError(err);
    } finally {
      this.discard();
    }
    for (const line of refused) onRefused(line, MOBILE_FULL_REASON);
    return this.#staged - refused.length;
  }

  discard(): void {
    if (!this.#open) return;
    this.#open = false;
    const client = this.#client;
    if (!client) return;
    // The connection carries the temp table and session settings: closed, never back in the pool.
    void client.then(
      (c) => c.release(true),
      () => undefined,
    );
  }

  #check(): void {
    if (!this.#open) throw new BulkLoadError('bulk_load_closed', 'this bulk load was discarded');
  }

  /** Opens the connection, the staging table and the COPY on the first use. */
  async #copyStream(): Promise<CopyStreamQuery> {
    this.#client ??= (async () => {
      let client: PoolClient;
      try {
        client = await this.#pool.connect();
      } catch (err) {
        throw mapDatabaseError(err);
      }
      client.on('error', () => undefined); // a dropped connection fails the COPY or the next query, which report it
      try {
        // An import is not a request: no statement or idle-in-transaction limit sized for requests.
        await client.query(`SET statement_timeout = 0; SET idle_in_transaction_session_timeout = 0; SET temp_buffers = '${STAGING_BUFFERS}'`);
        await client.query(STAGING);
      } catch (err) {
        client.release(true);
        throw mapDatabaseError(err);
      }
      return client;
    })();
    const client = await this.#client;
    if (!this.#copy) {
      const copy = client.query(copyFrom('COPY bulk_staging FROM STDIN (FORMAT binary)'));
      copy.on('error', (err: Error) => {
        this.#copyFailed ??= mapDatabaseError(err) as Error;
      });
      copy.write(COPY_SIGNATURE);
      this.#copy = copy;
    }
    if (this.#copyFailed) throw this.#copyFailed;
    return this.#copy;
  }

  /** The final transaction; returns the refused lines in order. */
  async #write(client: PoolClient): Promise<number[]> {
    await client.query('BEGIN');
    try {
      await client.query('SELECT pg_advisory_xact_lock($1)', [REGISTRY_WRITE_LOCK]);
      await client.query(`SET LOCAL work_mem = '${SORT_MEMORY}'`);
      const { rows } = await client.query<{ any: boolean }>('SELECT EXISTS (SELECT 1 FROM beneficiaries) AS any');
      const registryEmpty = !rows[0]!.any;
      const refused = await this.#applyMobileLimit(client, registryEmpty);
      await this.#keepLastRowPerId(client);
      if (registryEmpty) {
        // Nothing to replace: plain inserts, no conflict checks.
        await client.query(`INSERT INTO beneficiaries (${COLUMNS}) SELECT ${COLUMNS} FROM bulk_staging ORDER BY mobile_hash, id`);
        await client.query('INSERT INTO beneficiary_ids (id, mobile_hash) SELECT id, mobile_hash FROM bulk_staging ORDER BY id');
      } else {
        // Ids that move to another mobile: their old row goes first.
        await client.query(`DELETE FROM beneficiaries b USING bulk_staging s JOIN beneficiary_ids i ON i.id = s.id
          WHERE i.mobile_hash <> s.mobile_hash AND b.mobile_hash = i.mobile_hash AND b.id = i.id`);
        await client.query(`INSERT INTO beneficiaries (${COLUMNS}) SELECT ${COLUMNS} FROM bulk_staging
          ON CONFLICT (mobile_hash, id) DO UPDATE SET name = excluded.name, name_key = excluded.name_key,
            vaccine = excluded.vaccine, doses = excluded.doses, last_dose_date = excluded.last_dose_date`);
        await client.query(`INSERT INTO beneficiary_ids (id, mobile_hash) SELECT id, mobile_hash FROM bulk_staging
          ON CONFLICT (id) DO UPDATE SET mobile_hash = excluded.mobile_hash WHERE beneficiary_ids.mobile_hash <> excluded.mobile_hash`);
      }
      await client.query('COMMIT');
      return refused;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }

  /**
   * Removes from staging the rows row-by-row upserts would refuse, and returns their lines. Only a
   * mobile more than 6 distinct beneficiaries could ever be on (staged rows plus those already
   * there) can refuse anything: one set-based pass finds those, then the rows of every beneficiary
   * involved with them are replayed in line order (MobileOccupancy, as the batched path does).
   */
  async #applyMobileLimit(client: PoolClient, registryEmpty: boolean): Promise<number[]> {
    if (registryEmpty) {
      const prefixes = this.#prefixes.crowdedPrefixes();
      if (prefixes.length === 0) return [];
      await client.query(
        `CREATE TEMP TABLE bulk_crowded ON COMMIT DROP AS
         SELECT mobile_hash FROM bulk_staging WHERE substring(mobile_hash FROM 1 FOR 3) IN (SELECT unnest($1::bytea[]))
         GROUP BY mobile_hash HAVING count(*) > ${MAX_BENEFICIARIES_PER_MOBILE}`,
        [prefixes],
      );
    } else {
      // Row counts for the joins' plans from here on (a temp table is never auto-analyzed).
      await client.query('ANALYZE bulk_staging');
      await client.query(
        `CREATE TEMP TABLE bulk_crowded ON COMMIT DROP AS
         SELECT s.mobile_hash FROM bulk_staging s GROUP BY s.mobile_hash
         HAVING count(*) + (SELECT count(*) FROM beneficiaries b WHERE b.mobile_hash = s.mobile_hash) > ${MAX_BENEFICIARIES_PER_MOBILE}`,
      );
    }
    const { rows: crowded } = await client.query<{ mobile_hash: Buffer }>('SELECT mobile_hash FROM bulk_crowded');
    if (crowded.length === 0) return [];

    const occupancy = new MobileOccupancy();
    for (const c of crowded) occupancy.track(c.mobile_hash.toString('hex'));
    await client.query(`CREATE TEMP TABLE bulk_involved ON COMMIT DROP AS
      SELECT id FROM bulk_staging WHERE mobile_hash IN (SELECT mobile_hash FROM bulk_crowded)
      UNION SELECT id FROM beneficiaries WHERE mobile_hash IN (SELECT mobile_hash FROM bulk_crowded)`);
    type Row = { id: string; mobile_hash: Buffer };
    // Where each involved beneficiary is now (the directory names its one row).
    const { rows: placed } = await client.query<Row>('SELECT i.id, i.mobile_hash FROM beneficiary_ids i JOIN bulk_involved USING (id)');
    for (const p of placed) occupancy.place(p.id, p.mobile_hash.toString('hex'));
    const { rows: replay } = await client.query<Row & { line: number }>(
      'SELECT line, id, mobile_hash FROM bulk_staging WHERE id IN (SELECT id FROM bulk_involved) ORDER BY line',
    );
    const refused: number[] = [];
    for (const row of replay) {
      if (!occupancy.admit(row.id, row.mobile_hash.toString('hex'))) refused.push(row.line);
    }
    if (refused.length > 0) {
      await client.query('DELETE FROM bulk_staging s USING unnest($1::integer[]) AS r(line) WHERE s.line = r.line', [refused]);
    }
    return refused;
  }

  /** A beneficiary listed more than once ends as its last accepted line, as row by row. */
  async #keepLastRowPerId(client: PoolClient): Promise<void> {
    const ids = this.#repeated.ids();
    if (ids.length === 0) return;
    await client.query(
      `DELETE FROM bulk_staging s USING (
         SELECT id, max(line) AS last FROM bulk_staging WHERE id IN (SELECT unnest($1::text[])) GROUP BY id
       ) k WHERE s.id = k.id AND s.line < k.last`,
      [ids],
    );
  }
}
