import crypto from 'node:crypto';
import { Redis, ReplyError } from 'ioredis';
import { DatabaseUnavailableError } from '../store/unavailable.ts';
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

/** A script sent by its SHA1; sent whole only when this Redis does not have it cached yet (or any more). */
/**
 * A Lua script sent by its SHA (EVALSHA), by its text when Redis does not have it (NOSCRIPT: a
 * restarted or flushed Redis, or the first call; EVAL caches it again). Failures come out as
 * mapRedisError maps them. Shared by every Redis store.
 */
export class RedisScript {
  readonly #sha: string;

  constructor(readonly lua: string) {
    this.#sha = crypto.createHash('sha1').update(lua).digest('hex');
  }

  async run(redis: Redis, keys: readonly string[], args: readonly (string | number | Buffer)[]): Promise<unknown> {
    try {
      try {
        return await redis.evalsha(this.#sha, keys.length, ...keys, ...args);
      } catch (err) {
        if (!(err instanceof ReplyError && String((err as Error).message).startsWith('NOSCRIPT'))) throw err;
        return await redis.eval(this.lua, keys.length, ...keys, ...args);
      }
    } catch (err) {
      throw mapRedisError(err);
    }
  }
}

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
 * hitAll touches several keys in one script: on Redis Cluster they would have to share a hash
 * slot (a `{…}` hash tag in the prefix puts every counter on one node); one Redis process is
 * what docs/scaling.md sizes for.
 */
export class RedisRateCounter implements RateCounter {
  readonly #redis: Redis;
  readonly #subWindows: number;
  readonly #longestMs: number;
  readonly #prefix: string;
  readonly #skewMs: number;

  constructor(redis: Redis, { subWindows = 20, longestWindowSeconds = 86_400, prefix = 'kycvs:rate:', clockSkewMs = 1_000 }: RedisRateCounterOptions = {}) {
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
    const args: (string | number)[] = [now];
    for (const q of quotas) {
      const w = this.#window(q.windowSeconds);
      args.push(q.limit, w.windowMs, w.sub, w.ttl);
    }
    const reply = (await this.#run(SCRIPTS.hitAll, quotas.map((q) => this.#prefix + q.key), args)) as number[];
    if (reply[0] === 0) return null;
    const [index, count, freeAt] = reply as [number, number, number];
    const quota = quotas[index - 1]!;
    return { quota, decision: decision(false, count, quota.limit, freeAt, now) };
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

/** Redis's own "not now" replies: loading its data, a script running too long, failover in progress. */
const TRANSIENT_REPLY = /^(LOADING|BUSY|MASTERDOWN|READONLY|TRYAGAIN|CLUSTERDOWN)\b/;

/**
 * `err` as a DatabaseUnavailableError when Redis is away or busy; a reply Redis gave to a bad
 * command or script (a bug) stays what it is. Everything ioredis throws that is not a reply —
 * connection refused or closed, the command timed out, not connected and no offline queue — is
 * Redis being away.
 */
export function mapRedisError(err: unknown): unknown {
  if (err instanceof DatabaseUnavailableError || !(err instanceof Error)) return err;
  if (err instanceof ReplyError && !TRANSIENT_REPLY.test(err.message)) return err;
  const timeout = /timed out/i.test(err.message);
  return new DatabaseUnavailableError(
    timeout ? 'database_timeout' : 'database_unavailable',
    timeout ? 'Redis did not answer in time.' : 'Redis is not reachable.',
    timeout ? 2 : 5,
    { cause: err },
  );
}

/**
 * The service's Redis connection (KYCVS_REDIS_URL). A command waits 2 s at most: while Redis is
 * away it is queued only until the next reconnect attempt fails (then a 503), so the first
 * requests after start wait for the connection instead of failing. The client keeps reconnecting
 * in the background: the service recovers by itself when Redis is back.
 */
export function createRedisClient(url: string): Redis {
  const redis = new Redis(url, {
    connectTimeout: 2_000,
    commandTimeout: 2_000,
    maxRetriesPerRequest: 0,
    retryStrategy: (attempt) => Math.min(attempt * 100, 1_000),
  });
  // Without a listener a lost connection would crash the process; the failed command already told its caller.
  redis.on('error', () => {});
  return redis;
}

/** QUIT when Redis answers, otherwise drop the socket: shutting down never waits for an absent Redis. */
export async function closeRedisClient(redis: Redis): Promise<void> {
  try {
    await redis.quit();
  } catch {
    redis.disconnect();
  }
}
