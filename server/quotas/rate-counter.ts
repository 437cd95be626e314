import type { Db } from '../store/database.ts';

export interface RateDecision {
  allowed: boolean;
  count: number;
  /** Seconds until the current window ends. */
  retryAfter: number;
}

export interface Quota {
  key: string;
  limit: number;
  windowSeconds: number;
}

/**
 * Fixed-window counters kept in the shared store, not in process memory, so every app process
 * behind a load balancer sees the same count.
 */
export interface RateCounter {
  /** Counts one event for `key` and says whether it is within `limit` for the window. */
  hit(key: string, limit: number, windowSeconds: number, now?: number): Promise<RateDecision>;
  /** The current count without adding to it. */
  peek(key: string, limit: number, windowSeconds: number, now?: number): Promise<RateDecision>;
  /**
   * Counts one event against every quota, or against none when any is full: atomically, so
   * concurrent requests cannot both slip under a limit. Returns the first full quota, or null.
   */
  hitAll<Q extends Quota>(quotas: readonly Q[], now?: number): Promise<{ quota: Q; decision: RateDecision } | null>;
  /** Drops windows that ended before `now` minus a day. */
  prune(now?: number): Promise<number>;
}

export class SqliteRateCounter implements RateCounter {
  readonly #increment;
  readonly #read;
  readonly #prune;
  readonly #hitAll;

  constructor(db: Db) {
    this.#increment = db.prepare<[string, number], { count: number }>(
      `INSERT INTO rate_counters (key, window_start, count) VALUES (?, ?, 1)
       ON CONFLICT (key, window_start) DO UPDATE SET count = count + 1 RETURNING count`,
    );
    this.#read = db.prepare<[string, number], { count: number }>(
      'SELECT count FROM rate_counters WHERE key = ? AND window_start = ?',
    );
    this.#prune = db.prepare<[number]>('DELETE FROM rate_counters WHERE window_start < ?');
    // One IMMEDIATE transaction: a single commit for all quotas, and no other writer in between.
    this.#hitAll = db.transaction((quotas: readonly Quota[], now: number) => {
      for (const [index, q] of quotas.entries()) {
        const start = windowStart(now, q.windowSeconds);
        const count = this.#read.get(q.key, start)?.count ?? 0;
        if (count >= q.limit) return { index, decision: { ...decide(count, q.limit, start, q.windowSeconds, now), allowed: false } };
      }
      for (const q of quotas) this.#increment.get(q.key, windowStart(now, q.windowSeconds));
      return null;
    });
  }

  async hit(key: string, limit: number, windowSeconds: number, now = Date.now()): Promise<RateDecision> {
    const start = windowStart(now, windowSeconds);
    const { count } = this.#increment.get(key, start)!;
    return decide(count, limit, start, windowSeconds, now);
  }

  async peek(key: string, limit: number, windowSeconds: number, now = Date.now()): Promise<RateDecision> {
    const start = windowStart(now, windowSeconds);
    const count = this.#read.get(key, start)?.count ?? 0;
    return { ...decide(count, limit, start, windowSeconds, now), allowed: count < limit };
  }

  async hitAll<Q extends Quota>(quotas: readonly Q[], now = Date.now()): Promise<{ quota: Q; decision: RateDecision } | null> {
    const full = this.#hitAll.immediate(quotas, now);
    return full ? { quota: quotas[full.index]!, decision: full.decision } : null;
  }

  async prune(now = Date.now()): Promise<number> {
    return this.#prune.run(now - 2 * 86_400_000).changes;
  }
}

function windowStart(now: number, windowSeconds: number): number {
  const ms = windowSeconds * 1000;
  return Math.floor(now / ms) * ms;
}

function decide(count: number, limit: number, start: number, windowSeconds: number, now: number): RateDecision {
  return { allowed: count <= limit, count, retryAfter: Math.max(1, Math.ceil((start + windowSeconds * 1000 - now) / 1000)) };
}
