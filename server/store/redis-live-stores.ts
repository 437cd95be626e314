// The live stores with Redis (KYCVS_REDIS_URL): loaded by open-stores.ts only when configured.
import type { Config } from '../config.ts';
import { RedisSignInStore } from '../me/redis-sign-in-store.ts';
import { RedisRateCounter } from '../quotas/redis-rate-counter.ts';
import { RedisSessionLinks } from '../sessions/redis-link-store.ts';
import { RedisExpirySweeper, RedisSessionStore } from '../sessions/redis-session-store.ts';
import { PostgresWebhookOutbox } from '../webhooks/postgres-outbox.ts';
import { type DurableStores, type LiveStores, requireDb, sqliteLiveStores } from './open-stores.ts';
import { closeRedisClient, createRedisClient, redisReady } from './redis.ts';

/**
 * How long an ended or expired session (and its link) is still kept in Redis: a day, as SQLite's prune.
 * A late read then gets the session's outcome (`expired`, `410` on its link), not "no such session".
 */
const ENDED_SESSION_RETAIN_MS = 86_400_000;

/**
 * The expiry sweep's set pairs on a Redis Cluster: each pair is one hash slot, so this many spread
 * the sweep over up to this many masters (a sweep runs all of them at once, each with its share).
 */
const CLUSTER_SWEEP_SHARDS = 16;

/** Everything short-lived in Redis beside PostgreSQL; beside SQLite, the rate counters alone. */
export async function openRedisLiveStores(config: Config, redisUrl: string, durable: DurableStores): Promise<LiveStores> {
  const redis = createRedisClient(redisUrl, { cluster: config.redisCluster });
  await redisReady(redis);
  const counters = new RedisRateCounter(redis, { prefix: `${config.redisPrefix}rate:` });
  const close = () => closeRedisClient(redis);
  if (!durable.pool) return sqliteLiveStores(config, requireDb(durable), { counters, redis, close });

  const outbox = new PostgresWebhookOutbox(config.webhooks.retryForMs);
  const sessions = new RedisSessionStore(redis, durable.pool, {
    prefix: `${config.redisPrefix}session:`,
    retainMs: ENDED_SESSION_RETAIN_MS,
    sweepShards: config.redisCluster ? CLUSTER_SWEEP_SHARDS : 1,
    outbox,
    hasWebhook: async (clientId) => (await durable.clients.get(clientId))?.webhookUrl != null,
  });
  return {
    sessions,
    links: new RedisSessionLinks(redis, config.issuer, { prefix: `${config.redisPrefix}link:`, ttlMs: config.sessionTtlSeconds * 1000 + ENDED_SESSION_RETAIN_MS }),
    signIns: new RedisSignInStore(redis, { prefix: `${config.redisPrefix}me-sign-in:` }),
    counters,
    wakes: outbox,
    sweeper: new RedisExpirySweeper(sessions, config.webhooks.expiryGraceMs),
    redis,
    close,
  };
}
