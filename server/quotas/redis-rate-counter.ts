import { Cluster } from 'ioredis';
import { hashSlot, type RedisClient, RedisScript } from '../store/redis.ts';
import type { Quota, RateCounter, RateDecision } from './rate-counter.ts';

/*
 * SqliteRateCounter's sliding window (read its comment: sub-windows aligned to the epoch, the
 * conservative sum of the k + 1 sub-windows overlapping [now − T, now] plus one ahead, retryAfter
 * by walking the rows oldest first) with one Redis hash per quota: field = a sub-window's start in
 * ms, value = its count. Each operation is one Lua script, so it is atomic (Redis runs one script
 * at a time) and one round trip. The arithmetic is that of SqliteRateCounter in the same IEEE
 * doubles (Lua 5.1 numbers), so the same events give the same counts and the same retryAfter.
 *
 * Writes drop the fields no window reaches any more and set the key's TTL to what the window
 * still counts after this write: an idle quota disappears by itself, nothing needs pruning.
 */
const LUA_PRELUDE = `
local function span(now, window, sub)
  local current = math.floor(now / sub) * sub
  return math.floor((now - window) / sub) * sub, current, current + sub
end
-- The key's sub-windows in [oldest, newest] as {start, count}, their sum, and the fields before oldest.
local function read(key, oldest, newest)
  local fields = redis.call('HGETALL', key)
  local rows, stale, sum = {}, {}, 0
  for j = 1, #fields, 2 do
    local start = tonumber(fields[j])
    if start < oldest then stale[#stale + 1] = fields[j]
    elseif start <= newest then
      local n = tonumber(fields[j + 1])
      rows[#rows + 1] = {start, n}
      sum = sum + n
    end
  end
  return rows, stale, sum
end
-- When one more event fits (count >= limit): sub-window j stops counting at j + sub + window, so
-- walk the rows from the oldest until what remains is below the limit; events never written (the
-- same key earlier in one hitAll) or a limit below 1 never leave: a whole window from now's sub-window.
local function free_at(rows, count, limit, window, sub, current)
  table.sort(rows, function(a, b) return a[1] < b[1] end)
  local remaining = count
  for _, r in ipairs(rows) do
    remaining = remaining - r[2]
    if remaining < limit then return r[1] + sub + window end
  end
  return current + sub + window
end
local function bump(key, current)
  redis.call('HINCRBY', key, string.format('%.0f', current), 1)
end
local function tidy(key, stale, ttl)
  if #stale > 0 then redis.call('HDEL', key, unpack(stale)) end
  redis.call('PEXPIRE', key, ttl)
end
`;

/**
 * RateCounter.hitAll. KEYS: the quotas' keys; ARGV: now, then per quota limit, window ms,
 * sub-window ms, TTL ms. Returns {0} when the event was counted against every quota, else
 * {index (1-based), count, freeAt ms} of the first full quota, having written nothing.
 */
export const HIT_ALL_LUA = `${LUA_PRELUDE}
local now = tonumber(ARGV[1])
local pending, writes = {}, {}
for i = 1, #KEYS do
  local b = 4 * i - 2
  local limit, window, sub = tonumber(ARGV[b]), tonumber(ARGV[b + 1]), tonumber(ARGV[b + 2])
  local oldest, current, newest = span(now, window, sub)
  local rows, stale, sum = read(KEYS[i], oldest, newest)
  -- The same key twice in one call counts twice: the second sees the first.
  local before = pending[KEYS[i]] or 0
  local count = sum + before
  if count >= limit then return {i, count, free_at(rows, count, limit, window, sub, current)} end
  pending[KEYS[i]] = before + 1
  writes[i] = {current, stale, tonumber(ARGV[b + 3])}
end
for i = 1, #KEYS do
  bump(KEYS[i], writes[i][1])
  tidy(KEYS[i], writes[i][2], writes[i][3])
end
return {0}`;

/** RateCounter.hit. KEYS: the quota's key; ARGV: now, limit, window ms, sub-window ms, TTL ms. Returns {count, freeAt}. */
export const HIT_LUA = `${LUA_PRELUDE}
local now, limit, window, sub = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local oldest, current, newest = span(now, window, sub)
bump(KEYS[1], current)
local rows, stale, count = read(KEYS[1], oldest, newest)
tidy(KEYS[1], stale, tonumber(ARGV[5]))
if count < limit then return {count, 0} end
return {count, free_at(rows, count, limit, window, sub, current)}`;

/** RateCounter.peek, read-only. KEYS: the quota's key; ARGV: now, limit, window ms, sub-window ms. Returns {count, freeAt}. */
export const PEEK_LUA = `${LUA_PRELUDE}
local now, limit, window, sub = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local oldest, current, newest = span(now, window, sub)
local rows, _, count = read(KEYS[1], oldest, newest)
if count < limit then return {count, 0} end
return {count, free_at(rows, count, limit, window, sub, current)}`;

/**
 * RateCounter.release. KEYS: the quota's key; ARGV: at, sub-window ms. Takes one event off the
 * sub-window of `at`, never below zero (the field goes at zero). Leaves the TTL: the hit set it.
 */
export const RELEASE_LUA = `
local sub = tonumber(ARGV[2])
local field = string.format('%.0f', math.floor(tonumber(ARGV[1]) / sub) * sub)
local n = tonumber(redis.call('HGET', KEYS[1], field) or '0')
if n > 1 then redis.call('HINCRBY', KEYS[1], field, -1) elseif n == 1 then redis.call('HDEL', KEYS[1], field) end
return 0`;

const SCRIPTS = { hitAll: new RedisScript(HIT_ALL_LUA), hit: new RedisScript(HIT_LUA), peek: new RedisScript(PEEK_LUA), release: new RedisScript(RELEASE_LUA) };

export interface RedisRateCounterOptions {
  /** As SqliteRateCounter's: sub-windows per window, must divide 1000. */
  subWindows?: number;
  /** The longest window any quota may use (as SqliteRateCounter's, which refuses longer ones too). */
  longestWindowSeconds?: number;
  /** Put before every key, so the counters share a Redis with other data (and a test run has its own). */
  prefix?: string;
  /**
   * Kept beyond what a window reaches before a key expires: TTLs run on Redis's clock, windows on
   * the callers', so a process whose clock lags this much still sees every event it should (as
   * SqliteRateCounter's prune keeps a second more than it must).
   */
  clockSkewMs?: number;
}

/**
 * The sliding-window counters in Redis: the same numbers as SqliteRateCounter for the same events
 * (same sub-window alignment, same conservative sum, same retryAfter), shared by every process of
 * every machine that uses the same Redis. Redis not answering (down, restarting, loading, a
 * replica being promoted, a command timing out) is a DatabaseUnavailableError: the request path
 * answers 503 with Retry-After; the client reconnects by itself when Redis is back.
 *
 * hitAll is one script over all its quotas' keys on one Redis. On a Redis Cluster the keys are in
 * different hash slots (the per-mobile, per-client and global quotas of one request): each slot's
 * quotas are counted by one script there, all or none, and when any slot refuses, the other slots'
 * counts are given back. No event is ever counted past a limit; while a give-back is in flight a
 * concurrent check on those keys may see one event too many and be refused (never admitted).
 */
export class RedisRateCounter implements RateCounter {
  readonly #redis: RedisClient;
  readonly #subWindows: number;
  readonly #longestMs: number;
  readonly #prefix: string;
  readonly #skewMs: number;

  constructor(redis: RedisClient, { subWindows = 20, longestWindowSeconds = 86_400, prefix = 'kycvs:rate:', clockSkewMs = 1_000 }: RedisRateCounterOptions = {}) {
    if (!Number.isInteger(subWindows) || subWindows < 1 || 1000 % subWindows !== 0) {
      throw new Error(`subWindows must divide 1000, got ${subWindows}`);
    }
    this.#redis = redis;
    this.#subWindows = subWindows;
    this.#longestMs = longestWindowSeconds * 1000;
    this.#prefix = prefix;
    this.#skewMs = clockSkewMs;
  }

  async hit(key: string, limit: number, windowSeconds: number, now = Date.now()): Promise<RateDecision> {
    const w = this.#window(windowSeconds);
    const [count, freeAt] = (await this.#run(SCRIPTS.hit, [this.#prefix + key], [now, limit, w.windowMs, w.sub, w.ttl])) as [number, number];
    return decision(count <= limit, count, limit, freeAt, now);
  }

  async release(key: string, windowSeconds: number, at: number): Promise<void> {
    await this.#run(SCRIPTS.release, [this.#prefix + key], [at, this.#window(windowSeconds).sub]);
  }

  /**
   * `free()` is the caller's JavaScript, which no Lua script can run: the event is reserved first
   * (one atomic hit) and given back when the quota was full or the event turned out free. So
   * concurrent calls never all pass the check before any is counted; a free one costs two round trips.
   */
  async hitUnless(key: string, limit: number, windowSeconds: number, free: () => boolean, now = Date.now()): Promise<RateDecision | null> {
    const reserved = await this.hit(key, limit, windowSeconds, now);
    if (reserved.allowed && !free()) return reserved;
    await this.release(key, windowSeconds, now);
    return reserved.allowed ? null : reserved;
  }

  async peek(key: string, limit: number, windowSeconds: number, now = Date.now()): Promise<RateDecision> {
    const w = this.#window(windowSeconds);
    const [count, freeAt] = (await this.#run(SCRIPTS.peek, [this.#prefix + key], [now, limit, w.windowMs, w.sub])) as [number, number];
    return decision(count < limit, count, limit, freeAt, now);
  }

  async hitAll<Q extends Quota>(quotas: readonly Q[], now = Date.now()): Promise<{ quota: Q; decision: RateDecision } | null> {
    if (quotas.length === 0) return null;
    const groups = this.#bySlot(quotas);
    const results = await Promise.allSettled(groups.map((group) => this.#hitGroup(group, now)));
    const counted: Quota[] = [];
    let refused: { index: number; count: number; freeAt: number } | null = null;
    for (const [i, result] of results.entries()) {
      if (result.status === 'rejected') continue;
      if (result.value === null) counted.push(...groups[i]!.map(({ quota }) => quota));
      // The first full quota in the caller's order, as one script over all the keys reports it.
      else if (refused === null || result.value.index < refused.index) refused = result.value;
    }
    const failure = results.find((result) => result.status === 'rejected');
    if (refused === null && !failure) return null;
    // Not counted against every quota: the slots that counted give it back. A slot that refused wrote
    // nothing; one that failed may still run its script when its master is back (an over-count, never more).
    await Promise.all(counted.map((quota) => this.release(quota.key, quota.windowSeconds, now)));
    if (failure) throw failure.reason;
    const { index, count, freeAt } = refused!;
    const quota = quotas[index]!;
    return { quota, decision: decision(false, count, quota.limit, freeAt, now) };
  }

  /** The quotas (with their places in the call) grouped by hash slot: one group on one Redis. */
  #bySlot<Q extends Quota>(quotas: readonly Q[]): { quota: Q; index: number }[][] {
    const indexed = quotas.map((quota, index) => ({ quota, index }));
    if (!(this.#redis instanceof Cluster)) return [indexed];
    const groups = new Map<number, { quota: Q; index: number }[]>();
    for (const q of indexed) {
      const slot = hashSlot(this.#prefix + q.quota.key);
      const group = groups.get(slot);
      if (group) group.push(q);
      else groups.set(slot, [q]);
    }
    return [...groups.values()];
  }

  /** One hitAll script over one slot's quotas: null when counted, else the first full one (its index in the call). */
  async #hitGroup(group: readonly { quota: Quota; index: number }[], now: number): Promise<{ index: number; count: number; freeAt: number } | null> {
    const args: (string | number)[] = [now];
    for (const { quota } of group) {
      const w = this.#window(quota.windowSeconds);
      args.push(quota.limit, w.windowMs, w.sub, w.ttl);
    }
    const reply = (await this.#run(SCRIPTS.hitAll, group.map(({ quota }) => this.#prefix + quota.key), args)) as number[];
    if (reply[0] === 0) return null;
    const [at, count, freeAt] = reply as [number, number, number];
    return { index: group[at - 1]!.index, count, freeAt };
  }

  /**
   * Nothing to drop: every write sets its key's TTL to what a window can still reach (and drops
   * the key's sub-windows no window reaches), so Redis expires idle counters by itself.
   */
  async prune(): Promise<number> {
    return 0;
  }

  /** The lengths a window of `windowSeconds` uses, checked as SqliteRateCounter checks them. */
  #window(windowSeconds: number): { windowMs: number; sub: number; ttl: number } {
    if (!Number.isInteger(windowSeconds) || windowSeconds < 1 || windowSeconds * 1000 > this.#longestMs) {
      throw new Error(`windowSeconds must be a whole number from 1 to ${this.#longestMs / 1000}, got ${windowSeconds}`);
    }
    const windowMs = windowSeconds * 1000;
    const sub = windowMs / this.#subWindows;
    // The sub-window written now counts until its start + sub + T ≤ now + sub + T; one more sub
    // for a writer whose clock runs up to a sub-window ahead (counted, as in SQLite), plus skew.
    return { windowMs, sub, ttl: windowMs + 2 * sub + this.#skewMs };
  }

  #run(script: RedisScript, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    return script.run(this.#redis, keys, args);
  }
}

function decision(allowed: boolean, count: number, limit: number, freeAt: number, now: number): RateDecision {
  if (count < limit) return { allowed, count, retryAfter: 0 };
  return { allowed, count, retryAfter: Math.max(1, Math.ceil((freeAt - now) / 1000)) };
}
