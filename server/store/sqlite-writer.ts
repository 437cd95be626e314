import { BUSY_TIMEOUT_MS, type Db } from './database.ts';
import { DatabaseUnavailableError, isSqliteBusy } from './unavailable.ts';

// Several service processes share one SQLite file (KYCVS_WORKERS, one per core by default), and a
// write waits while another process holds the write lock. SQLite's own busy handler waits by
// sleeping the thread, 1 ms, then 2, 5, 10 … : for that long this process answers nothing, though
// the other's write is done in a tenth of a millisecond. So a serving process's connection fails
// fast instead (failFastOnBusy), and its writes go through SqliteWriter, which tries them again
// once the event loop has had its turn: the process serves other requests meanwhile, and the
// write goes in as soon as the lock is free. The same writer groups a turn's writes into one commit.

/** Attempts retried at the next turn of the event loop, before waiting a timer's millisecond or more. */
const IMMEDIATE_RETRIES = 3;
/** The longest wait between two attempts (ms): a lock held long (a bulk import) is polled, not hammered. */
const MAX_WAIT_MS = 8;

/**
 * From now on a statement on `db` that finds another process's write lock fails at once with
 * SQLITE_BUSY instead of sleeping. For a serving process once it has started (migrations and demo
 * seeding wait the usual way): its writes all go through SqliteWriter; a read meets the lock only
 * in rare moments (recovery after a crash), and is then answered 503 (server/http/errors.ts).
 */
export function failFastOnBusy(db: Db): void {
  db.pragma('busy_timeout = 0');
}

const writers = new WeakMap<Db, SqliteWriter>();

/** The connection's writer: every write of this process to `db` goes through it, so they can share commits. */
export function sqliteWriter(db: Db): SqliteWriter {
  let writer = writers.get(db);
  if (!writer) writers.set(db, (writer = new SqliteWriter(db)));
  return writer;
}

interface PendingWrite {
  write: () => unknown;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
  /** From when it was asked for: a write that waits through busy flushes gives up by this, not later. */
  deadline: number;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/**
 * Group commit. The writes asked for during one turn of the event loop (under load, those of many
 * requests) run together at the end of the turn, in one IMMEDIATE transaction: each in a savepoint
 * of its own, so that one write's error undoes only that write and rejects only its caller. One
 * commit then carries them all: SQLite's cost per commit (locks, the WAL frames of pages every
 * request touches, such as a table's last page and its expiry index) is paid once per turn, not
 * once per write. A write is still acknowledged only once its commit is done.
 */
export class SqliteWriter {
  readonly #timeoutMs: number;
  /** Writes waiting for the next flush, in the order they came. */
  #pending: PendingWrite[] = [];
  #flushScheduled = false;
  /** Flushes in a row that found another process's lock: how long to wait before the next. */
  #busyFlushes = 0;
  readonly #group: (writes: PendingWrite[]) => Outcome[];

  /** `timeoutMs`: how long a write is tried (the busy timeout other connections have; tests shorten it). */
  constructor(db: Db, { timeoutMs = BUSY_TIMEOUT_MS }: { timeoutMs?: number } = {}) {
    this.#timeoutMs = timeoutMs;
    // Called inside the group's transaction, better-sqlite3 makes this a SAVEPOINT … RELEASE.
    const savepoint = db.transaction((write: () => unknown) => write());
    const group = db.transaction((writes: PendingWrite[]) =>
      writes.map((w): Outcome => {
        try {
          return { ok: true, value: savepoint(w.write) };
        } catch (error) {
          if (isSqliteBusy(error)) throw error; // the whole group is tried again
          return { ok: false, error };
        }
      }),
    );
    this.#group = (writes) => group.immediate(writes);
  }

  /**
   * Runs `write` — statements, or a transaction (a savepoint inside the group) — at the end of this
   * turn of the event loop, with the other writes asked for meanwhile, and resolves with what it
   * returned once that is committed. A busy database makes the group fail before it has written
   * anything; on a fail-fast connection it is tried again while another process holds the write
   * lock, for as long as the busy timeout; then a 503 (DatabaseUnavailableError), never a 500. On
   * any other connection SQLite's busy handler waits.
   */
  write<T>(write: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#pending.push({ write, resolve: resolve as (value: unknown) => void, reject, deadline: performance.now() + this.#timeoutMs });
      if (!this.#flushScheduled) this.#schedule(setImmediate);
    });
  }

  #schedule(after: (flush: () => void) => unknown): void {
    this.#flushScheduled = true;
    after(() => this.#flush());
  }

  #flush(): void {
    this.#flushScheduled = false;
    const writes = this.#pending;
    this.#pending = [];
    let outcomes: Outcome[] | typeof BUSY;
    try {
      // One write alone needs no savepoint: it is a statement or a transaction of its own.
      outcomes = writes.length === 1 ? attemptOne(writes[0]!) : attempt(() => this.#group(writes));
    } catch (error) {
      for (const w of writes) w.reject(error); // the commit itself failed (disk full, I/O): nothing was written
      return;
    }
    if (outcomes === BUSY) {
      this.#retryLater(writes);
      return;
    }
    this.#busyFlushes = 0;
    outcomes.forEach((o, i) => (o.ok ? writes[i]!.resolve(o.value) : writes[i]!.reject(o.error)));
  }

  /** Another process holds the lock: nothing was written. Writes past their deadline give up; the rest go first next time. */
  #retryLater(writes: PendingWrite[]): void {
    const now = performance.now();
    const waiting = writes.filter((w) => {
      if (now < w.deadline) return true;
      w.reject(new DatabaseUnavailableError('database_timeout', 'The database is busy: another process held its write lock too long.', 2));
      return false;
    });
    this.#pending = [...waiting, ...this.#pending];
    if (this.#pending.length === 0) {
      this.#busyFlushes = 0;
      return;
    }
    const tries = this.#busyFlushes++;
    this.#schedule(
      tries < IMMEDIATE_RETRIES ? setImmediate : (flush) => setTimeout(flush, Math.min(MAX_WAIT_MS, 2 ** (tries - IMMEDIATE_RETRIES))),
    );
  }
}

const BUSY = Symbol('busy');

/** `write`'s result, or BUSY when another process held the lock (nothing was written); other errors are thrown. */
function attempt<T>(write: () => T): T | typeof BUSY {
  try {
    return write();
  } catch (err) {
    if (isSqliteBusy(err)) return BUSY;
    throw err;
  }
}

/** A write flushed alone: its error is its own outcome, not the flush's. */
function attemptOne(w: PendingWrite): Outcome[] | typeof BUSY {
  try {
    const value = attempt(w.write);
    return value === BUSY ? BUSY : [{ ok: true, value }];
  } catch (error) {
    return [{ ok: false, error }];
  }
}
