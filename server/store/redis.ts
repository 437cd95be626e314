import crypto from 'node:crypto';
import calculateSlot from 'cluster-key-slot';
import { Cluster, Redis, ReplyError } from 'ioredis';
import { DatabaseUnavailableError } from './unavailable.ts';

/**
 * The service's Redis: one server (KYCVS_REDIS_URL) or a Redis Cluster (KYCVS_REDIS_CLUSTER=1, the
 * URL a comma-separated list of seed nodes). The stores use the commands both have; a script's
 * keys must share a hash slot on a cluster, which each store's key layout sees to.
 */
export type RedisClient = Redis | Cluster;

/** Commands wait this long at most: Redis away is a 503 within it, never a hung request. */
const COMMAND_TIMEOUT_MS = 2_000;

/** Redis's own "not now" replies: loading its data, a script running too long, failover in progress. */
const TRANSIENT_REPLY = /^(LOADING|BUSY|MASTERDOWN|READONLY|TRYAGAIN|CLUSTERDOWN)\b/;

/**
 * `err` as a DatabaseUnavailableError when Redis is away or busy; a reply Redis gave to a bad
 * command or script (a bug) stays what it is. Everything ioredis throws that is not a reply —
 * connection refused or closed, the command timed out, not connected and no offline queue, a
 * cluster with no node for a slot — is Redis being away.
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
 * A Lua script sent by its SHA (EVALSHA), by its text when Redis does not have it (NOSCRIPT: a
 * restarted or flushed Redis, a cluster node that never ran it, or the first call; EVAL caches it
 * again). Failures come out as mapRedisError maps them. Shared by every Redis store.
 */
export class RedisScript {
  readonly #sha: string;

  constructor(readonly lua: string) {
    this.#sha = crypto.createHash('sha1').update(lua).digest('hex');
  }

  async run(redis: RedisClient, keys: readonly string[], args: readonly (string | number | Buffer)[]): Promise<unknown> {
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

/** The cluster hash slot of a key (its `{…}` hash tag's, if it has one): keys of one script must share it. */
export function hashSlot(key: string): number {
  return calculateSlot(key);
}

export interface RedisClientOptions {
  /** A Redis Cluster: `url` lists seed nodes, comma-separated; the client learns the rest from them. */
  cluster?: boolean;
}

/**
 * The service's Redis connection (KYCVS_REDIS_URL). A command waits 2 s at most: while Redis is
 * away it is queued only until the next reconnect attempt fails (then a 503), so the first
 * requests after start wait for the connection instead of failing. The client keeps reconnecting
 * in the background: the service recovers by itself when Redis is back. On a cluster the client
 * follows MOVED/ASK redirections and refreshes its slot map itself (resharding, failover); a
 * command it has no ready connection for fails at once (a cluster client's offline queue has no
 * time limit: a request would wait for as long as the cluster is away), so the service waits for
 * the slot map when it starts (redisReady).
 */
export function createRedisClient(url: string, { cluster = false }: RedisClientOptions = {}): RedisClient {
  const retryStrategy = (attempt: number) => Math.min(attempt * 100, 1_000);
  let redis: RedisClient;
  if (cluster) {
    const seeds = url.split(',').map((u) => new URL(u.trim()));
    const first = seeds[0]!;
    redis = new Cluster(
      seeds.map((u) => ({ host: u.hostname, port: Number(u.port || 6379) })),
      {
        clusterRetryStrategy: retryStrategy,
        enableOfflineQueue: false,
        slotsRefreshTimeout: COMMAND_TIMEOUT_MS,
        // Redirections and a cluster mid-failover are retried inside the command's time, not past it.
        retryDelayOnClusterDown: 100,
        retryDelayOnTryAgain: 100,
        redisOptions: {
          username: decodeURIComponent(first.username) || undefined,
          password: decodeURIComponent(first.password) || undefined,
          tls: first.protocol === 'rediss:' ? {} : undefined,
          connectTimeout: COMMAND_TIMEOUT_MS,
          commandTimeout: COMMAND_TIMEOUT_MS,
          maxRetriesPerRequest: 0,
        },
      },
    );
  } else {
    redis = new Redis(url, { connectTimeout: COMMAND_TIMEOUT_MS, commandTimeout: COMMAND_TIMEOUT_MS, maxRetriesPerRequest: 0, retryStrategy });
  }
  // Without a listener a lost connection would crash the process; the failed command already told its caller.
  redis.on('error', () => {});
  return redis;
}

/**
 * Resolves once a cluster client has its slot map (at once for one Redis, whose queue waits for the
 * connection), or after `timeoutMs`: a cluster away at start is then a 503 per request until it is back.
 */
export async function redisReady(redis: RedisClient, timeoutMs = 10_000): Promise<void> {
  if (!(redis instanceof Cluster) || redis.status === 'ready') return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(done, timeoutMs);
    redis.once('ready', done);
    function done() {
      clearTimeout(timer);
      redis.off('ready', done);
      resolve();
    }
  });
}

/** QUIT when Redis answers, otherwise drop the sockets: shutting down never waits for an absent Redis. */
export async function closeRedisClient(redis: RedisClient): Promise<void> {
  try {
    await redis.quit();
  } catch {
    redis.disconnect();
  }
}
