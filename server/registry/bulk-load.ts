import type { Db } from '../store/database.ts';
import { MobilePrefixCounts } from './staged-counts.ts';
import { BENEFICIARY_COLUMNS, MAX_BENEFICIARIES_PER_MOBILE, MOBILE_FULL_REASON, ON_ID_CONFLICT_UPDATE } from './beneficiaries-table.ts';
import type { StagedRows } from './beneficiary-rows.ts';
import { MOBILE_HASH_BYTES, type MobileHasher } from './mobile-hash.ts';
import { MobileOccupancy } from './mobile-limit.ts';

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

export class BulkLoadError extends Error {
  constructor(readonly code: 'bulk_load_busy' | 'bulk_load_closed' | 'bulk_load_unsupported', message: string) {
    super(message);
  }
}

/**
 * Rebuilding the table's secondary indexes sorts every row once (~0.6 s a million here); keeping
 * them costs a random-page insert per new row (the mobile index is keyed by an HMAC). Rebuilding
 * wins once the import adds about a tenth of the table.
 */
const REBUILD_WHEN_STAGED_PER_EXISTING = 1 / 10;

/** Rows per staging INSERT: one statement step per 64 rows instead of one per row. */
const ROWS_PER_INSERT = 64;
const STAGING_COLUMNS = 8;
/** The staging table's page cache, KiB as SQLite takes it (negative). */
const STAGING_CACHE_KIB = -64 * 1024;

// Connections with a staging table in use: there is one temp schema per connection.
const busy = new WeakSet<Db>();

/**
 * SQLite bulk load. Staging lives in the connection's temp schema, so staging takes no lock on
 * the registry and a crash leaves nothing behind. `commit` is one IMMEDIATE transaction: other
 * processes read the previous registry (WAL) until it commits, indexes included, and their writes
 * wait for it (busy_timeout) — a long commit makes them fail, hence "not taking traffic".
 */
export class SqliteBulkLoad implements BulkLoad {
  readonly #db: Db;
  readonly #hasher: MobileHasher;
  readonly #insertOne;
  readonly #insertMany;
  readonly #values = new Array<unknown>(ROWS_PER_INSERT * STAGING_COLUMNS);
  /**
   * Staged rows per 3-byte prefix of the mobile hash, saturating at 255. No mobile has more staged
   * rows than its prefix, so into an empty registry only mobiles under a prefix counting more than
   * 6 can be refused: the limit looks at those rows only, or at none.
   */
  readonly #perPrefix = new MobilePrefixCounts();
  readonly #tempPragmas: { cache_size: unknown; journal_mode: unknown };
  #staged = 0;
  #open = true;

  constructor(db: Db, hasher: MobileHasher) {
    if (busy.has(db)) throw new BulkLoadError('bulk_load_busy', 'a bulk load is already running on this connection');
    this.#db = db;
    this.#hasher = hasher;
    db.exec(`DROP TABLE IF EXISTS temp.bulk_staging;
      CREATE TEMP TABLE bulk_staging (
        line INTEGER PRIMARY KEY, id TEXT NOT NULL, mobile_hash BLOB NOT NULL, name TEXT NOT NULL,
        name_key TEXT NOT NULL, vaccine TEXT, doses INTEGER NOT NULL, last_dose_date TEXT
      ) STRICT`);
    busy.add(db);
    // Staging is thrown away on any failure, so its writes need no rollback journal, and a
    // cache as large as the registry's keeps it off the temp file until it outgrows 64 MiB
    // (better-sqlite3's default for temp is 16 MB). Restored by discard().
    this.#tempPragmas = { cache_size: db.pragma('temp.cache_size', { simple: true }), journal_mode: db.pragma('temp.journal_mode', { simple: true }) };
    db.pragma(`temp.cache_size = ${STAGING_CACHE_KIB}`);
    db.pragma('temp.journal_mode = OFF');
    const tuple = `(${Array(STAGING_COLUMNS).fill('?').join(', ')})`;
    this.#insertOne = db.prepare(`INSERT INTO temp.bulk_staging VALUES ${tuple}`);
    this.#insertMany = db.prepare(`INSERT INTO temp.bulk_staging VALUES ${Array(ROWS_PER_INSERT).fill(tuple).join(', ')}`);
  }

  get mobileKey(): Buffer {
    return this.#hasher.key;
  }

  async stage(rows: StagedRows): Promise<void> {
    this.#check();
    const n = rows.lines.length;
    const values = this.#values;
    this.#perPrefix.add(rows);
    const put = (row: number, at: number) => {
      values[at] = rows.lines[row];
      values[at + 1] = rows.ids[row];
      values[at + 2] = rows.mobileHashes.subarray(row * MOBILE_HASH_BYTES, (row + 1) * MOBILE_HASH_BYTES);
      values[at + 3] = rows.names[row];
      values[at + 4] = rows.nameKeys[row];
      values[at + 5] = rows.vaccines[row];
      values[at + 6] = rows.doses[row];
      values[at + 7] = rows.lastDoseDates[row];
    };
    // Writes only the temp schema: no lock on the registry, so the server is not held up.
    this.#db.transaction(() => {
      let row = 0;
      for (; row + ROWS_PER_INSERT <= n; row += ROWS_PER_INSERT) {
        for (let i = 0; i < ROWS_PER_INSERT; i++) put(row + i, i * STAGING_COLUMNS);
        this.#insertMany.run(values);
      }
      for (; row < n; row++) {
        put(row, 0);
        this.#insertOne.run(values.slice(0, STAGING_COLUMNS));
      }
    })();
    this.#staged += n;
  }

  async commit(onRefused: (line: number, reason: string) => void): Promise<number> {
    this.#check();
    const db = this.#db;
    let refused: number[];
    try {
      refused = db.transaction(() => {
        const existing = (db.prepare('SELECT count(*) AS n FROM main.beneficiaries').get() as { n: number }).n;
        const refusedLines = this.#applyMobileLimit(existing === 0);
        const rebuild = this.#staged >= existing * REBUILD_WHEN_STAGED_PER_EXISTING;
        const indexes = rebuild ? this.#dropIndexes() : [];
        // Line order: a beneficiary listed twice ends as its last accepted line, as row by row.
        db.exec(`INSERT INTO main.beneficiaries (${BENEFICIARY_COLUMNS})
                 SELECT ${BENEFICIARY_COLUMNS} FROM temp.bulk_staging ORDER BY line ${ON_ID_CONFLICT_UPDATE}`);
        for (const sql of indexes) db.exec(sql);
        return refusedLines;
      }).immediate();
    } finally {
      this.discard();
    }
    for (const line of refused) onRefused(line, MOBILE_FULL_REASON);
    return this.#staged - refused.length;
  }

  discard(): void {
    if (!this.#open) return;
    this.#open = false;
    busy.delete(this.#db);
    if (!this.#db.open) return;
    this.#db.exec('DROP TABLE IF EXISTS temp.bulk_staging; DROP TABLE IF EXISTS temp.bulk_crowded; DROP TABLE IF EXISTS temp.bulk_prefixes');
    this.#db.pragma(`temp.journal_mode = ${String(this.#tempPragmas.journal_mode)}`);
    this.#db.pragma(`temp.cache_size = ${Number(this.#tempPragmas.cache_size)}`);
  }

  #check(): void {
    if (!this.#open) throw new BulkLoadError('bulk_load_closed', 'this bulk load was discarded');
  }

  /**
   * Removes from staging the rows row-by-row upserts would refuse, and returns their lines.
   * Only a mobile that more than 6 distinct beneficiaries could ever be on (staged rows plus
   * those already there) can refuse anything: one set-based pass finds those, then their rows,
   * and every row of a beneficiary involved with them, are replayed in line order.
   */
  #applyMobileLimit(registryEmpty: boolean): number[] {
    const db = this.#db;
    let staged = 'temp.bulk_staging s';
    if (registryEmpty) {
      const prefixes = this.#perPrefix.crowdedPrefixes();
      if (prefixes.length === 0) return [];
      db.exec('DROP TABLE IF EXISTS temp.bulk_prefixes; CREATE TEMP TABLE bulk_prefixes (prefix BLOB PRIMARY KEY) WITHOUT ROWID');
      const add = db.prepare('INSERT INTO temp.bulk_prefixes VALUES (?)');
      for (const prefix of prefixes) add.run(prefix);
      staged = `(SELECT mobile_hash FROM temp.bulk_staging WHERE substr(mobile_hash, 1, 3) IN temp.bulk_prefixes) s`;
    }
    db.exec(`DROP TABLE IF EXISTS temp.bulk_crowded;
      CREATE TEMP TABLE bulk_crowded (mobile_hash BLOB PRIMARY KEY) WITHOUT ROWID;
      INSERT INTO temp.bulk_crowded
        SELECT s.mobile_hash FROM ${staged} GROUP BY s.mobile_hash
        HAVING count(*) + (SELECT count(*) FROM main.beneficiaries b WHERE b.mobile_hash = s.mobile_hash) > ${MAX_BENEFICIARIES_PER_MOBILE}`);
    const crowded = db.prepare('SELECT mobile_hash FROM temp.bulk_crowded').pluck().all() as Buffer[];
    if (crowded.length === 0) return [];

    const occupancy = new MobileOccupancy();
    for (const h of crowded) occupancy.track(h.toString('hex'));
    const involved = `(SELECT id FROM temp.bulk_staging WHERE mobile_hash IN temp.bulk_crowded
                       UNION SELECT id FROM main.beneficiaries WHERE mobile_hash IN temp.bulk_crowded)`;
    // Where each member of a crowded mobile is: at most 6 per crowded mobile, however many rows
    // a file puts on one number (rows are streamed, not held).
    type Row = { id: string; mobile_hash: Buffer };
    for (const b of db.prepare(`SELECT id, mobile_hash FROM main.beneficiaries WHERE id IN ${involved}`).iterate() as Iterable<Row>) {
      occupancy.place(b.id, b.mobile_hash.toString('hex'));
    }
    const refused: number[] = [];
    const rows = db.prepare(`SELECT line, id, mobile_hash FROM temp.bulk_staging WHERE id IN ${involved} ORDER BY line`);
    for (const row of rows.iterate() as Iterable<Row & { line: number }>) {
      if (!occupancy.admit(row.id, row.mobile_hash.toString('hex'))) refused.push(row.line);
    }
    const drop = db.prepare('DELETE FROM temp.bulk_staging WHERE line = ?');
    for (const line of refused) drop.run(line);
    return refused;
  }

  /** Drops the beneficiaries table's own indexes (not its primary key) and returns the SQL that makes them again. */
  #dropIndexes(): string[] {
    const indexes = this.#db
      .prepare("SELECT name, sql FROM main.sqlite_master WHERE type = 'index' AND tbl_name = 'beneficiaries' AND sql IS NOT NULL")
      .all() as { name: string; sql: string }[];
    for (const { name } of indexes) this.#db.exec(`DROP INDEX main."${name.replaceAll('"', '""')}"`);
    return indexes.map((i) => i.sql);
  }
}
