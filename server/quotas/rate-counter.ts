import type { Db } from '../store/database.ts';
import { type SqliteWriter, sqliteWriter } from '../store/sqlite-writer.ts';

export interface RateDecision {
  allowed: boolean;
  /** Events counted in the sliding window (for `hit`, this one included). */
  count: number;
  /**
   * Seconds until one more event fits the quota, if nothing else comes in: a retry after this
   * many seconds is admitted. 0 when one fits now.
   */
  retryAfter: number;
}

export interface Quota {
  key: string;
  limit: number;
  windowSeconds: number;
}

/**
 * Sliding-window counters kept in the shared store, not in process memory, so every app process
 * behind a load balancer sees the same count. For every quota (key, limit L, window T) at most L
 * events are admitted in ANY interval of length T — there is no boundary at which a new window
 * opens. A key is used with one window length only.
 */
export interface RateCounter {
  /** Counts one event for `key` and says whether it is within `limit` for the window. */
  hit(key: string, limit: number, windowSeconds: number, now?: number): Promise<RateDecision>;
  /**
   * Takes back one event that `hit` counted for `key` at time `at` (a reservation that turned out
   * not to be spent): exactly what that hit added to the sub-window of `at`, never below zero.
   */
  release(key: string, windowSeconds: number, at: number): Promise<void>;
  /**
   * Counts one event for `key` unless it costs nothing: when the quota is full, nothing is counted
   * and the decision says so (`allowed: false`); when there is room, `free()` runs, and if it says
   * true nothing is counted and the answer is null. Atomic with every other hit of the key: no
   * concurrent call passes between the check for room and the count. (A wrong code is counted,
   * a right one is not, and a burst of guesses cannot all be compared before any is counted.)
   */
  hitUnless(key: string, limit: number, windowSeconds: number, free: () => boolean, now?: number): Promise<RateDecision | null>;
  /** The current count without adding to it. */
  peek(key: string, limit: number, windowSeconds: number, now?: number): Promise<RateDecision>;
  /**
   * Counts one event against every quota, or against none when any is full: atomically, so
   * concurrent requests cannot both slip under a limit. Returns the first full quota, or null.
   */
  hitAll<Q extends Quota>(quotas: readonly Q[], now?: number): Promise<{ quota: Q; decision: RateDecision } | null>;
  /** Drops counts that no window can reach any more. */
  prune(now?: number): Promise<number>;
}

export interface SqliteRateCounterOptions {
  /**
   * Sub-windows per window (must divide 1000, so a sub-window is a whole number of ms for every
   * whole-second window). More: a refused caller waits less beyond the true sliding window
   * (at most T / subWindows), at the cost of more rows to sum per check.
   */
  subWindows?: number;
  /** The longest window any quota may use; `prune` keeps everything such a window can still reach. */
  longestWindowSeconds?: number;
}

/**
 * A sliding window made of sub-windows. Each quota's window T is cut into k sub-windows of
 * length s = T / k, aligned to the epoch; a row (key, window_start, count) counts the events of
 * one sub-window. A check sums, conservatively, every sub-window that overlaps [now − T, now]:
 * k + 1 of them, spanning up to T + s. So an event admitted at t saw every event admitted in
 * [t − T, t] and found fewer than L: whatever interval of length T one picks, its last admitted
 * event had at most L − 1 others before it in that interval. The price: a full quota frees up to
 * s later than a true sliding log would (the oldest counted sub-window must leave entirely).
 * Rows per key: at most k + 1 inside the window; the table shape is that of the fixed windows
 * this replaces (whose rows, starting at a multiple of T, read as the first sub-window of T).
 */
export class SqliteRateCounter implements RateCounter {
  readonly #subWindows: number;
  readonly #longestMs: number;
  readonly #increment;
  readonly #sum;
  readonly #rows;
  readonly #prune;
  readonly #decrement;
  readonly #hitAll;
  readonly #hit;
  readonly #hitUnless;
  /** Writes that wait for other processes' write lock without blocking the event loop. */
  readonly #writer: SqliteWriter;

  constructor(db: Db, { subWindows = 20, longestWindowSeconds = 86_400 }: SqliteRateCounterOptions = {}) {
    this.#writer = sqliteWriter(db);
    if (!Number.isInteger(subWindows) || subWindows < 1 || 1000 % subWindows !== 0) {
      throw new Error(`subWindows must divide 1000, got ${subWindows}`);
    }
    this.#subWindows = subWindows;
    this.#longestMs = longestWindowSeconds * 1000;
    this.#increment = db.prepare<[string, number], { count: number }>(
      `INSERT INTO rate_counters (key, window_start, count) VALUES (?, ?, 1)
       ON CONFLICT (key, window_start) DO UPDATE SET count = count + 1 RETURNING count`,
    );
    this.#sum = db.prepare<[string, number, number], { n: number | null }>(
      'SELECT sum(count) AS n FROM rate_counters WHERE key = ? AND window_start >= ? AND window_start <= ?',
    );
    this.#rows = db.prepare<[string, number, number], { start: number; count: number }>(
      `SELECT window_start AS start, count FROM rate_counters
       WHERE key = ? AND window_start >= ? AND window_start <= ? ORDER BY window_start`,
    );
    this.#prune = db.prepare<[number]>('DELETE FROM rate_counters WHERE window_start < ?');
    this.#decrement = db.prepare<[string, number]>('UPDATE rate_counters SET count = count - 1 WHERE key = ? AND window_start = ? AND count > 0');
    // One IMMEDIATE transaction: a single commit for all quotas, and no other writer in between.
    this.#hitAll = db.transaction((quotas: readonly Quota[], now: number) => {
      const pending = new Map<string, number>();
      for (const [index, q] of quotas.entries()) {
        const span = this.#span(q.windowSeconds, now);
        // The same key twice in one call counts twice: the second sees the first.
        const before = pending.get(q.key) ?? 0;
        const count = this.#count(q.key, span) + before;
        if (count >= q.limit) return { index, decision: this.#decide(q.key, q.limit, span, now, count, false) };
        pending.set(q.key, before + 1);
      }
      for (const q of quotas) this.#increment.get(q.key, this.#span(q.windowSeconds, now).current);
      return null;
    });
    this.#hit = db.transaction((key: string, limit: number, windowSeconds: number, now: number) => {
      const span = this.#span(windowSeconds, now);
      this.#increment.get(key, span.current);
      const count = this.#count(key, span);
      return this.#decide(key, limit, span, now, count, count <= limit);
    });
    // Nothing is written unless the event counts: a free one (a right code) commits no page.
    this.#hitUnless = db.transaction((key: string, limit: number, windowSeconds: number, free: () => boolean, now: number) => {
      const span = this.#span(windowSeconds, now);
      const count = this.#count(key, span);
      if (count >= limit) return this.#decide(key, limit, span, now, count, false);
      if (free()) return null;
      this.#increment.get(key, span.current);
      return this.#decide(key, limit, span, now, count + 1, true);
    });
  }

  async hit(key: string, limit: number, windowSeconds: number, now = Date.now()): Promise<RateDecision> {
    return this.#writer.write(() => this.#hit.immediate(key, limit, windowSeconds, now));
  }

  async release(key: string, windowSeconds: number, at: number): Promise<void> {
    // One statement: atomic on its own, and `count > 0` keeps a double release from going negative.
    const window = this.#span(windowSeconds, at).current;
    await this.#writer.write(() => this.#decrement.run(key, window));
  }

  async hitUnless(key: string, limit: number, windowSeconds: number, free: () => boolean, now = Date.now()): Promise<RateDecision | null> {
    return this.#writer.write(() => this.#hitUnless.immediate(key, limit, windowSeconds, free, now));
  }

  async peek(key: string, limit: number, windowSeconds: number, now = Date.now()): Promise<RateDecision> {
    const span = this.#span(windowSeconds, now);
    const count = this.#count(key, span);
    return this.#decide(key, limit, span, now, count, count < limit);
  }

  async hitAll<Q extends Quota>(quotas: readonly Q[], now = Date.now()): Promise<{ quota: Q; decision: RateDecision } | null> {
    const full = await this.#writer.write(() => this.#hitAll.immediate(quotas, now));
    return full ? { quota: quotas[full.index]!, decision: full.decision } : null;
  }

  async prune(now = Date.now()): Promise<number> {
    // The oldest sub-window any allowed window still counts starts after now − T − s.
    const reach = this.#longestMs + this.#longestMs / this.#subWindows;
    return (await this.#writer.write(() => this.#prune.run(now - reach - 1000))).changes;
  }

  /** The sub-windows a check at `now` counts, by their starts (ms since the epoch). */
  #span(windowSeconds: number, now: number): Span {
    if (!Number.isInteger(windowSeconds) || windowSeconds < 1 || windowSeconds * 1000 > this.#longestMs) {
      throw new Error(`windowSeconds must be a whole number from 1 to ${this.#longestMs / 1000}, got ${windowSeconds}`);
    }
    const windowMs = windowSeconds * 1000;
    const sub = windowMs / this.#subWindows;
    const current = Math.floor(now / sub) * sub;
    return {
      windowMs,
      sub,
      oldest: Math.floor((now - windowMs) / sub) * sub,
      current,
      // One sub-window ahead as well: a row written by a process whose clock runs slightly ahead
      // still counts (conservative); a row from a clock far ahead does not lock the key for good.
      newest: current + sub,
    };
  }

  #count(key: string, span: Span): number {
    return this.#sum.get(key, span.oldest, span.newest)?.n ?? 0;
  }

  /**
   * `count` events are in the span (with hitAll, some may be this call's own, not yet written).
   * One more fits once the events still counted drop below `limit`: sub-window j stops counting
   * at j + s + T, so walk the rows from the oldest until what remains is below the limit.
   */
  #decide(key: string, limit: number, span: Span, now: number, count: number, allowed: boolean): RateDecision {
    if (count < limit) return { allowed, count, retryAfter: 0 };
    let remaining = count;
    let freeAt = now;
    for (const row of this.#rows.iterate(key, span.oldest, span.newest)) {
      remaining -= row.count;
      freeAt = row.start + span.sub + span.windowMs;
      if (remaining < limit) break;
    }
    // This call's own unwritten events (and a limit below 1) never leave: say a whole window.
    if (remaining >= limit) freeAt = span.current + span.sub + span.windowMs;
    return { allowed, count, retryAfter: Math.max(1, Math.ceil((freeAt - now) / 1000)) };
  }
}

interface Span {
  windowMs: number;
  sub: number;
  oldest: number;
  current: number;
  newest: number;
}
