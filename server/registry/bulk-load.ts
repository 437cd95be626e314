import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Db } from '../store/database.ts';
import { ensurePrivateFile } from '../store/private-files.ts';
import { BENEFICIARY_COLUMNS, MAX_BENEFICIARIES_PER_MOBILE, MOBILE_FULL_REASON, ON_ID_CONFLICT_UPDATE } from './beneficiaries-table.ts';
import { PARSERS } from './csv-parallel.ts';
import type { MobileHasher } from './mobile-hash.ts';
import { MobileOccupancy } from './mobile-limit.ts';
import { MobilePrefixCounts, SeenIds } from './staged-counts.ts';
import { PartLines, SQLITE_STAGING_TABLE, type StagedPart, type Staging } from './staging-rows.ts';

/**
 * A large import for a registry that is not taking traffic: the parsing threads stage the rows
 * where nobody sees them (`staging`), the load learns of each part in file order (`stage`), then
 * `commit` applies the per-mobile limit to all of them at once, exactly as row-by-row upserts in
 * line order would (later lines lose), and writes the rest in one transaction.
 */
export interface BulkLoad {
  /** What the parsing threads need to stage rows: the mobile key, where rows go, the counters they keep. */
  readonly staging: Staging;
  stage(part: StagedPart): Promise<void>;
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

// Connections a bulk load is using: its staging files are attached to it under fixed names.
const busy = new WeakSet<Db>();

/**
 * Staging files hold health data, so they live where the registry does: in a private directory
 * (0700, files 0600) next to the registry's file (the system's temp dir for an in-memory one),
 * sized for the registry and not a shared /tmp. Named after the process: a process killed
 * mid-import leaves its directory, and the next bulk load removes those of processes no longer running.
 */
const STAGING_DIR = 'kycvs-bulk-';
/** A staging directory's name: its process id, then mkdtemp's suffix. */
const STAGING_DIR_NAME = /^kycvs-bulk-(\d+)-[\w]{6}$/;
const driver = createRequire(import.meta.url).resolve('better-sqlite3');

/** Where a load on `db` stages: beside its file. */
function stagingRoot(db: Db): string {
  return db.memory || db.name === '' ? os.tmpdir() : path.dirname(path.resolve(db.name));
}

function removeAbandonedStaging(root: string): void {
  for (const name of fs.readdirSync(root)) {
    const pid = Number(STAGING_DIR_NAME.exec(name)?.[1]);
    if (!pid || pid === process.pid || running(pid)) continue;
    try {
      fs.rmSync(path.join(root, name), { recursive: true, force: true });
    } catch {
      // Another user's: not this process's to remove.
    }
  }
}

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * SQLite bulk load. Each parsing thread stages its rows into a SQLite file of its own (no lock on
 * the registry, nothing done per row on this thread); `commit` attaches them to the connection and
 * is one IMMEDIATE transaction: other processes read the previous registry (WAL) until it commits,
 * indexes included, and their writes wait for it (busy_timeout) — a long commit makes them fail,
 * hence "not taking traffic".
 */
export class SqliteBulkLoad implements BulkLoad {
  readonly staging: Staging;
  readonly #db: Db;
  readonly #dir: string;
  readonly #files: string[];
  /**
   * Staged rows per 3-byte prefix of the mobile hash. No mobile has more staged rows than its
   * prefix, so into an empty registry only mobiles under a prefix counting more than 6 can be
   * refused: the limit looks at those rows only, or at none.
   */
  readonly #perPrefix = new MobilePrefixCounts();
  readonly #lines = new PartLines();
  /** Ids the parsing threads found staged more than once (and a few staged once: SeenIds). */
  readonly #repeated = new Set<string>();
  #attached = 0;
  #staged = 0;
  #open = true;

  constructor(db: Db, hasher: MobileHasher) {
    if (busy.has(db)) throw new BulkLoadError('bulk_load_busy', 'a bulk load is already running on this connection');
    const root = stagingRoot(db);
    removeAbandonedStaging(root);
    this.#db = db;
    this.#dir = fs.mkdtempSync(path.join(root, `${STAGING_DIR}${process.pid}-`));
    busy.add(db);
    this.#files = Array.from({ length: PARSERS }, (_, i) => path.join(this.#dir, `staging-${i}.sqlite`));
    try {
      for (const file of this.#files) {
        ensurePrivateFile(file);
        const staging = new Database(file);
        // Large pages: the commit reads each file through once, a tenth faster than in 4 KiB pages.
        staging.pragma('page_size = 65536');
        staging.exec(SQLITE_STAGING_TABLE);
        staging.close();
      }
    } catch (err) {
      this.discard();
      throw err;
    }
    this.staging = { mobileKey: hasher.key, sink: { kind: 'sqlite', files: this.#files, driver }, counters: { prefixCounts: this.#perPrefix.buffer, seenIds: new SeenIds().buffer } };
  }

  async stage(part: StagedPart): Promise<void> {
    this.#check();
    this.#lines.record(part.seq, part.linesBefore);
    for (const id of part.repeatedIds) this.#repeated.add(id);
    this.#staged += part.rows;
  }

  async commit(onRefused: (line: number, reason: string) => void): Promise<number> {
    this.#check();
    const db = this.#db;
    let refused: number[];
    try {
      this.#attach();
      refused = db.transaction(() => {
        const existing = (db.prepare('SELECT count(*) AS n FROM main.beneficiaries').get() as { n: number }).n;
        const refusedRows = this.#applyMobileLimit(existing === 0);
        const rebuild = this.#staged >= existing * REBUILD_WHEN_STAGED_PER_EXISTING;
        const indexes = rebuild ? this.#dropIndexes() : [];
        // One file after the other (merging them into line order costs a third more), then the
        // rows of ids staged more than once again, in line order: each ends as its last accepted line.
        for (let i = 0; i < this.#files.length; i++) {
          db.exec(`INSERT INTO main.beneficiaries (${BENEFICIARY_COLUMNS})
                   SELECT ${BENEFICIARY_COLUMNS} FROM bulk_s${i}.staging WHERE true ${ON_ID_CONFLICT_UPDATE}`);
        }
        this.#replayRepeatedIds();
        for (const sql of indexes) db.exec(sql);
        return refusedRows;
      }).immediate();
    } finally {
      this.discard();
    }
    for (const position of refused) onRefused(this.#lines.lineOf(position), MOBILE_FULL_REASON);
    return this.#staged - refused.length;
  }

  discard(): void {
    if (!this.#open) return;
    this.#open = false;
    try {
      if (this.#db.open) {
        this.#db.exec('DROP VIEW IF EXISTS temp.bulk_staging; DROP TABLE IF EXISTS temp.bulk_crowded; DROP TABLE IF EXISTS temp.bulk_prefixes; DROP TABLE IF EXISTS temp.bulk_repeated');
        for (; this.#attached > 0; this.#attached--) this.#db.exec(`DETACH DATABASE bulk_s${this.#attached - 1}`);
      }
    } finally {
      busy.delete(this.#db);
      fs.rmSync(this.#dir, { recursive: true, force: true });
    }
  }

  /** The threads' files on this connection, and all their rows as one view, bulk_staging. */
  #attach(): void {
    const db = this.#db;
    const attach = db.prepare('ATTACH DATABASE ? AS ?');
    for (const file of this.#files) {
      const schema = `bulk_s${this.#attached}`;
      attach.run(file, schema);
      this.#attached++;
      // Refused rows are deleted from staging in the commit's transaction: no journal for files thrown away after.
      db.pragma(`${schema}.journal_mode = OFF`);
      db.pragma(`${schema}.synchronous = OFF`);
    }
    const arms = this.#files.map((_, i) => `SELECT * FROM bulk_s${i}.staging`).join(' UNION ALL ');
    db.exec(`CREATE TEMP VIEW bulk_staging AS ${arms}`);
  }

  #check(): void {
    if (!this.#open) throw new BulkLoadError('bulk_load_closed', 'this bulk load was discarded');
  }

  /**
   * Removes from staging the rows row-by-row upserts would refuse, and returns their positions.
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
    const rows = db.prepare(`SELECT pos, id, mobile_hash FROM temp.bulk_staging WHERE id IN ${involved} ORDER BY pos`);
    for (const row of rows.iterate() as Iterable<Row & { pos: number }>) {
      if (!occupancy.admit(row.id, row.mobile_hash.toString('hex'))) refused.push(row.pos);
    }
    const drops = this.#files.map((_, i) => db.prepare(`DELETE FROM bulk_s${i}.staging WHERE pos = ?`));
    for (const position of refused) for (const drop of drops) drop.run(position);
    return refused;
  }

  /** Writes the staged rows of every id staged more than once again, in line order. */
  #replayRepeatedIds(): void {
    if (this.#repeated.size === 0) return;
    const db = this.#db;
    db.exec('DROP TABLE IF EXISTS temp.bulk_repeated; CREATE TEMP TABLE bulk_repeated (id TEXT PRIMARY KEY) WITHOUT ROWID');
    const add = db.prepare('INSERT OR IGNORE INTO temp.bulk_repeated VALUES (?)');
    for (const id of this.#repeated) add.run(id);
    db.exec(`INSERT INTO main.beneficiaries (${BENEFICIARY_COLUMNS})
             SELECT ${BENEFICIARY_COLUMNS} FROM temp.bulk_staging WHERE id IN temp.bulk_repeated ORDER BY pos ${ON_ID_CONFLICT_UPDATE}`);
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
