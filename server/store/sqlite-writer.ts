import { BUSY_TIMEOUT_MS, type Db } from './database.ts';
import { DatabaseUnavailableError, isSqliteBusy } from './unavailable.ts';

// Several service processes share one SQLite file (KYCVS_WORKERS, one per core by default), and a
// write waits while another process holds the write lock. SQLite's own busy handler waits by
// sleeping the thread, 1 ms, then 2, 5, 10 … : for that long this process answers nothing, though
// the other's write is done in a tenth of a millisecond. So a serving process's connection fails
// fast instead (failFastOnBusy), and its writes go through SqliteWriter, which tries them again
// once the event loop has had its turn: the process serves other requests meanwhile, and the
// write goes in as soon as the lock is free.

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

/** The connection's writer. */
export function sqliteWriter(db: Db): SqliteWriter {
  let writer = writers.get(db);
  if (!writer) writers.set(db, (writer = new SqliteWriter()));
  return writer;
}

export class SqliteWriter {
  readonly #timeoutMs: number;
  /** This process's writes waiting for another process's lock, one behind the other. */
  #queue: Promise<unknown> = Promise.resolve();
  #queued = 0;

  /** `timeoutMs`: how long a write is tried (the busy timeout other connections have; tests shorten it). */
  constructor({ timeoutMs = BUSY_TIMEOUT_MS }: { timeoutMs?: number } = {}) {
    this.#timeoutMs = timeoutMs;
  }

  /**
   * Runs `write`: one statement, or one IMMEDIATE transaction, so that a busy database makes it fail
   * before it has written anything. On a fail-fast connection it is tried again while another
   * process holds the write lock, for as long as the busy timeout; then a 503
   * (DatabaseUnavailableError), never a 500. On any other connection SQLite's busy handler waits.
   */
  async write<T>(write: () => T): Promise<T> {
    // From the first attempt: a write behind others in the queue does not get a timeout of its own.
    const deadline = performance.now() + this.#timeoutMs;
    if (this.#queued === 0) {
      const written = attempt(write);
      if (written !== BUSY) return written;
    }
    // Contended: only the first waiting write of this process polls the lock; the others follow it
    // as soon as it is in, instead of each failing against the lock on every turn.
    this.#queued++;
    const turn = this.#queue.then(() => this.#untilWritten(write, deadline));
    this.#queue = turn.catch(() => undefined);
    try {
      return await turn;
    } finally {
      this.#queued--;
    }
  }

  async #untilWritten<T>(write: () => T, deadline: number): Promise<T> {
    for (let tries = 0; ; tries++) {
      const written = attempt(write);
      if (written !== BUSY) return written;
      if (performance.now() >= deadline) {
        throw new DatabaseUnavailableError('database_timeout', 'The database is busy: another process held its write lock too long.', 2);
      }
      await (tries < IMMEDIATE_RETRIES
        ? new Promise((resolve) => setImmediate(resolve))
        : new Promise((resolve) => setTimeout(resolve, Math.min(MAX_WAIT_MS, 2 ** (tries - IMMEDIATE_RETRIES)))));
    }
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
