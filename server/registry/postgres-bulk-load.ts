import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import { mapDatabaseError, type Pool, type PoolClient } from '../store/postgres/pool.ts';
import { MAX_BENEFICIARIES_PER_MOBILE, MOBILE_FULL_REASON } from './beneficiaries-table.ts';
import { type BulkLoad, BulkLoadError } from './bulk-load.ts';
import type { MobileHasher } from './mobile-hash.ts';
import { MobileOccupancy } from './mobile-limit.ts';
import { MobileRowCounts, SeenIds } from './staged-counts.ts';
import {
  COPY_COLUMNS,
  COPY_ROW_HASH_AT,
  COPY_ROW_ID_AT,
  COPY_ROW_ID_LENGTH_AT,
  COPY_SIGNATURE,
  COPY_TRAILER,
  type CopyRows,
  PartLines,
  type StagedPart,
  type Staging,
  stagingPosition,
} from './staging-rows.ts';

/**
 * The registry's writers' lock (postgres-admin.ts takes it per batch): the final transaction holds
 * it, so batched imports and demo seeding wait for it instead of reading a registry about to change.
 */
export const REGISTRY_WRITE_LOCK = 0x6b796376_72; // "kycvr"

/** The staging table's local buffers: a temp table is cached per connection, 8 MB by default. */
const STAGING_BUFFERS = '1GB';
/** Sorting the rows into key order first turns each index's random inserts into appends. */
const SORT_MEMORY = '256MB';
/** COPY rows gathered before they are sent (one COPY a table): one batch in flight while the next gathers. */
const BATCH_BYTES = 8 << 20;

export interface PostgresBulkLoadOptions {
  /** Bytes of COPY rows gathered before they are sent (8 MiB; tests send every part). */
  batchBytes?: number;
}

/** The staging table: the rows of beneficiaries (CopyRows.rows' columns) and each one's staging position. */
const STAGING_TABLE = `CREATE TEMP TABLE bulk_staging (
  mobile_hash bytea NOT NULL, id text NOT NULL, name text NOT NULL, name_key text NOT NULL,
  vaccine text, doses integer NOT NULL, last_dose_date text, line bigint NOT NULL) ON COMMIT DROP`;

async function registryEmpty(client: PoolClient): Promise<boolean> {
  const { rows } = await client.query<{ empty: boolean }>(
    'SELECT NOT EXISTS (SELECT 1 FROM beneficiaries) AND NOT EXISTS (SELECT 1 FROM beneficiary_ids) AS empty',
  );
  return rows[0]!.empty;
}

/** COPY rows on their way to one table. */
class CopyBatch {
  readonly chunks: Buffer[] = [];
  bytes = 0;

  add(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.bytes += chunk.length;
  }
}

/** A CopyRows row as a bulk_staging row: 8 fields, the row's 7 then its position (int8). */
function stagingRow(rows: Buffer, start: number, end: number, position: number): Buffer {
  const out = Buffer.allocUnsafe(end - start + 12);
  out.writeInt16BE(8, 0);
  rows.copy(out, 2, start + 2, end);
  let at = end - start;
  at = out.writeInt32BE(8, at);
  at = out.writeUInt32BE(Math.floor(position / 2 ** 32), at);
  out.writeUInt32BE(position % 2 ** 32, at);
  return out;
}

/**
 * PostgreSQL bulk load, on a connection of its own, all-or-nothing, and safe while the service
 * serves: lookups read the previous registry (MVCC) until the load commits and are never blocked;
 * only other registry writers (imports, demo seeding) wait, on the registry writers' lock. It takes
 * ROW EXCLUSIVE on beneficiaries (its partitions) and beneficiary_ids — what any INSERT takes; no
 * index is dropped (that would need ACCESS EXCLUSIVE, blocking lookups).
 *
 * Into an empty registry (the first, large load) the rows go straight to their tables, COPY after
 * COPY in one transaction opened at the first part, while the file is still being read: no staging
 * table, no second pass, no sort. Only rows row-by-row upserts might treat otherwise are held back
 * in a staging table: a row whose id may have come before (SeenIds), or whose mobile may have had
 * MAX_BENEFICIARIES_PER_MOBILE rows before it (MobileRowCounts). Every other row is the first of its
 * id and at most the 6th on its mobile, so upserts in line order write it as it is. At commit the
 * held-back rows are applied on top of the rest as onto a registry that had those rows already —
 * which gives what line order gives: the rows written go before every held-back row of their
 * mobile that could be refused, and before every other row of their id.
 *
 * Into a registry with rows, every row is staged in a temp table, then one final transaction applies
 * the per-mobile limit as row-by-row upserts in line order would (later lines lose), keeps each id's
 * last accepted row, and writes them.
 */
export class PostgresBulkLoad implements BulkLoad {
  readonly staging: Staging;
  readonly #pool: Pool;
  readonly #batchBytes: number;
  readonly #lines = new PartLines();
  /** Every id so far, seen in file order: a row whose id may have come before is held back. */
  readonly #seenIds = new SeenIds();
  /** The ids of those rows (and a few that had not come before): each keeps its last row at commit. */
  readonly #repeated = new Set<string>();
  readonly #perMobile = new MobileRowCounts();
  /** The connection, and whether the rows go straight to the registry (it was empty, in the open transaction). */
  #session: Promise<{ client: PoolClient; direct: boolean }> | null = null;
  #rows = new CopyBatch();
  #ids = new CopyBatch();
  #held = new CopyBatch();
  /** The batch being sent: one in flight while the next gathers. */
  #sending: Promise<void> = Promise.resolve();
  #heldRows = 0;
  #staged = 0;
  #open = true;

  constructor(pool: Pool, hasher: MobileHasher, { batchBytes = BATCH_BYTES }: PostgresBulkLoadOptions = {}) {
    this.#pool = pool;
    this.#batchBytes = batchBytes;
    this.staging = { mobileKey: hasher.key, sink: { kind: 'copy' }, counters: null };
  }

  async stage(part: StagedPart): Promise<void> {
    this.#check();
    const { client, direct } = await this.#start();
    this.#lines.record(part.seq, part.linesBefore);
    this.#staged += part.rows;
    if (part.copy && part.rows > 0) this.#route(part.seq, part.copy, direct);
    if (this.#rows.bytes + this.#ids.bytes + this.#held.bytes >= this.#batchBytes) await this.#send(client);
  }

  async commit(onRefused: (line: number, reason: string) => void): Promise<number> {
    this.#check();
    let refused: number[];
    try {
      const { client, direct } = await this.#start();
      await this.#send(client);
      await this.#sending;
      if (direct) {
        refused = this.#heldRows > 0 ? await this.#apply(client) : [];
        await client.query('COMMIT');
      } else {
        refused = await this.#write(client);
      }
    } catch (err) {
      throw mapDatabaseError(err);
    } finally {
      this.discard();
    }
    for (const position of refused) onRefused(this.#lines.lineOf(position), MOBILE_FULL_REASON);
    return this.#staged - refused.length;
  }

  discard(): void {
    if (!this.#open) return;
    this.#open = false;
    const session = this.#session;
    if (!session) return;
    // The connection carries the open transaction, temp table and session settings: closed, never
    // back in the pool (closing it rolls back whatever this load wrote).
    void session.then(
      ({ client }) => client.release(true),
      () => undefined,
    );
  }

  #check(): void {
    if (!this.#open) throw new BulkLoadError('bulk_load_closed', 'this bulk load was discarded');
  }

  /**
   * Opens the connection on the first part. An empty registry (seen under the writers' lock) is
   * written straight away, in a transaction that stays open until commit; otherwise rows are staged.
   */
  #start(): Promise<{ client: PoolClient; direct: boolean }> {
    this.#session ??= (async () => {
      let client: PoolClient;
      try {
        client = await this.#pool.connect();
      } catch (err) {
        throw mapDatabaseError(err);
      }
      client.on('error', () => undefined); // a dropped connection fails the next query, which reports it
      try {
        // An import is not a request: no statement or idle-in-transaction limit sized for requests.
        await client.query(`SET statement_timeout = 0; SET idle_in_transaction_session_timeout = 0; SET temp_buffers = '${STAGING_BUFFERS}'`);
        // Nothing empties a registry: one with rows is staged for without taking the writers' lock
        // (the final transaction takes it). An empty one is looked at again under the lock, kept until commit.
        let direct = await registryEmpty(client);
        if (direct) {
          await client.query('BEGIN');
          await client.query('SELECT pg_advisory_xact_lock($1)', [REGISTRY_WRITE_LOCK]);
          direct = await registryEmpty(client);
          if (direct) await client.query(`SET LOCAL work_mem = '${SORT_MEMORY}'`);
          else await client.query('COMMIT');
        }
        await client.query(direct ? STAGING_TABLE : STAGING_TABLE.replace(' ON COMMIT DROP', ''));
        return { client, direct };
      } catch (err) {
        client.release(true);
        throw mapDatabaseError(err);
      }
    })();
    return this.#session;
  }

  /**
   * Sorts a part's rows, in line order: held back (staged), or straight to the tables. Runs of rows
   * go on as slices of the part's buffers; only a held-back row is copied.
   */
  #route(seq: number, copy: CopyRows, direct: boolean): void {
    const { rows, ids, rowEnds, idEnds, lines } = copy;
    let runStart = 0;
    let runRow = 0;
    for (let r = 0; r < rowEnds.length; r++) {
      const start = r === 0 ? 0 : rowEnds[r - 1]!;
      const idLength = rows.readInt32BE(start + COPY_ROW_ID_LENGTH_AT);
      const idStart = start + COPY_ROW_ID_AT;
      const repeated = this.#seenIds.seeBytes(rows, idStart, idStart + idLength);
      if (repeated) this.#repeated.add(rows.toString('utf8', idStart, idStart + idLength));
      const before = this.#perMobile.add(rows, start + COPY_ROW_HASH_AT);
      if (direct && !repeated && before < MAX_BENEFICIARIES_PER_MOBILE) continue;
      if (direct) {
        this.#rows.add(rows.subarray(runStart, start));
        this.#ids.add(ids.subarray(runRow === 0 ? 0 : idEnds[runRow - 1]!, r === 0 ? 0 : idEnds[r - 1]!));
        runStart = rowEnds[r]!;
        runRow = r + 1;
      }
      this.#held.add(stagingRow(rows, start, rowEnds[r]!, stagingPosition(seq, lines[r]!)));
      this.#heldRows++;
    }
    if (direct) {
      this.#rows.add(rows.subarray(runStart));
      this.#ids.add(ids.subarray(runRow === 0 ? 0 : idEnds[runRow - 1]!));
    }
  }

  /** Sends the gathered rows, after the batch before them: a COPY for each table that has some. */
  async #send(client: PoolClient): Promise<void> {
    try {
      await this.#sending;
    } catch (err) {
      throw mapDatabaseError(err);
    }
    const batches: [string, CopyBatch][] = [
      [`COPY beneficiaries (${COPY_COLUMNS}) FROM STDIN (FORMAT binary)`, this.#rows],
      ['COPY beneficiary_ids (id, mobile_hash) FROM STDIN (FORMAT binary)', this.#ids],
      ['COPY bulk_staging FROM STDIN (FORMAT binary)', this.#held],
    ];
    this.#rows = new CopyBatch();
    this.#ids = new CopyBatch();
    this.#held = new CopyBatch();
    this.#sending = (async () => {
      for (const [sql, batch] of batches) {
        if (batch.bytes === 0) continue;
        await pipeline(Readable.from([COPY_SIGNATURE, ...batch.chunks, COPY_TRAILER]), client.query(copyFrom(sql)));
      }
    })();
    // A failed batch is reported by the next stage or by commit; never left unhandled.
    this.#sending.catch(() => undefined);
  }

  /** The final transaction of a load into a registry with rows; returns the refused rows' staging positions in order. */
  async #write(client: PoolClient): Promise<number[]> {
    await client.query('BEGIN');
    try {
      await client.query('SELECT pg_advisory_xact_lock($1)', [REGISTRY_WRITE_LOCK]);
      await client.query(`SET LOCAL work_mem = '${SORT_MEMORY}'`);
      const refused = await this.#apply(client);
      await client.query('COMMIT');
      return refused;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }

  /** Applies the staged rows on top of the registry as row-by-row upserts in line order would; returns the refused rows' positions. */
  async #apply(client: PoolClient): Promise<number[]> {
    const refused = await this.#applyMobileLimit(client);
    await this.#keepLastRowPerId(client);
    // Ids that move to another mobile: their old row goes first.
    await client.query(`DELETE FROM beneficiaries b USING bulk_staging s JOIN beneficiary_ids i ON i.id = s.id
      WHERE i.mobile_hash <> s.mobile_hash AND b.mobile_hash = i.mobile_hash AND b.id = i.id`);
    await client.query(`INSERT INTO beneficiaries (${COPY_COLUMNS}) SELECT ${COPY_COLUMNS} FROM bulk_staging
      ON CONFLICT (mobile_hash, id) DO UPDATE SET name = excluded.name, name_key = excluded.name_key,
        vaccine = excluded.vaccine, doses = excluded.doses, last_dose_date = excluded.last_dose_date`);
    await client.query(`INSERT INTO beneficiary_ids (id, mobile_hash) SELECT id, mobile_hash FROM bulk_staging
      ON CONFLICT (id) DO UPDATE SET mobile_hash = excluded.mobile_hash WHERE beneficiary_ids.mobile_hash <> excluded.mobile_hash`);
    return refused;
  }

  /**
   * Removes from staging the rows row-by-row upserts would refuse, and returns their positions. Only a
   * mobile more than 6 distinct beneficiaries could ever be on (staged rows plus those already
   * there) can refuse anything: one set-based pass finds those, then the rows of every beneficiary
   * involved with them are replayed in line order (MobileOccupancy, as the batched path does).
   */
  async #applyMobileLimit(client: PoolClient): Promise<number[]> {
    // Row counts for the joins' plans from here on (a temp table is never auto-analyzed).
    await client.query('ANALYZE bulk_staging');
    await client.query(
      `CREATE TEMP TABLE bulk_crowded ON COMMIT DROP AS
       SELECT s.mobile_hash FROM bulk_staging s GROUP BY s.mobile_hash
       HAVING count(*) + (SELECT count(*) FROM beneficiaries b WHERE b.mobile_hash = s.mobile_hash) > ${MAX_BENEFICIARIES_PER_MOBILE}`,
    );
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
      await client.query('DELETE FROM bulk_staging s USING unnest($1::bigint[]) AS r(line) WHERE s.line = r.line', [refused]);
    }
    return refused;
  }

  /** A beneficiary listed more than once ends as its last accepted line, as row by row. */
  async #keepLastRowPerId(client: PoolClient): Promise<void> {
    const ids = [...this.#repeated];
    if (ids.length === 0) return;
    await client.query(
      `DELETE FROM bulk_staging s USING (
         SELECT id, max(line) AS last FROM bulk_staging WHERE id IN (SELECT unnest($1::text[])) GROUP BY id
       ) k WHERE s.id = k.id AND s.line < k.last`,
      [ids],
    );
  }
}
