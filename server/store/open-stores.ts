import path from 'node:path';
import type { Logger } from 'pino';
import { CachedClientStore } from '../clients/cached-client-store.ts';
import { CachedClientTexts } from '../clients/cached-client-texts.ts';
import { type ClientTexts, SqliteClientTexts } from '../clients/client-texts.ts';
import { type ClientStore, SqliteClientStore } from '../clients/clients.ts';
import { PostgresClientStore } from '../clients/postgres-client-store.ts';
import { PostgresClientTexts } from '../clients/postgres-client-texts.ts';
import { type Config, distributedStoreSettings } from '../config.ts';
import { type AuditLog, SqliteAuditLog } from '../consent/audit.ts';
import { PostgresAuditLog } from '../consent/postgres-audit.ts';
import { RedisSignInStore } from '../me/redis-sign-in-store.ts';
import { type SignInStore, SqliteSignInStore } from '../me/sign-in-store.ts';
import { type RateCounter, SqliteRateCounter } from '../quotas/rate-counter.ts';
import { closeRedisClient, createRedisClient, type RedisClient } from './redis.ts';
import { RedisRateCounter } from '../quotas/redis-rate-counter.ts';
import { postgresRegistry } from '../registry/postgres.ts';
import type { RegistryWithAdmin } from '../registry/registry-with-admin.ts';
import { sqliteRegistry } from '../registry/sqlite.ts';
import { type SessionLinks, SqliteSessionLinks } from '../sessions/link-store.ts';
import { RedisSessionLinks } from '../sessions/redis-link-store.ts';
import { RedisExpirySweeper, RedisSessionStore } from '../sessions/redis-session-store.ts';
import { type SessionStore, SqliteSessionStore } from '../sessions/session-store.ts';
import { FileKeyStore, type KeyStore } from '../signing/key-store.ts';
import { PostgresKeyStore } from '../signing/postgres-key-store.ts';
import type { ExpirySweep, WakeSource } from '../webhooks/dispatcher.ts';
import type { WebhookEventStore } from '../webhooks/event-store.ts';
import { WebhookOutbox } from '../webhooks/outbox.ts';
import { PostgresWebhookEventStore } from '../webhooks/postgres-event-store.ts';
import { PostgresWebhookOutbox } from '../webhooks/postgres-outbox.ts';
import { SqliteWebhookEventStore } from '../webhooks/sqlite-event-store.ts';
import { ExpirySweeper } from '../webhooks/sweeper.ts';
import { WalCheckpointer } from './checkpointer.ts';
import { type Db, openDatabase } from './database.ts';
import { migrate } from './postgres/migrate.ts';
import { createPool, type Pool, query } from './postgres/pool.ts';
import { requireKek } from './kek.ts';
import { loadPostgresSecrets } from './postgres-secrets.ts';
import { loadSecrets, type Secrets } from './secrets.ts';

export const DATABASE_FILE = 'kycvs.sqlite';

/**
 * How long an ended or expired session (and its link) is still kept in Redis: a day, as SQLite's prune.
 * A late read then gets the session's outcome (`expired`, `410` on its link), not "no such session".
 */
const ENDED_SESSION_RETAIN_MS = 86_400_000;

/**
 * What must outlive a crash: the registry, clients and their texts, the consent audit, webhook
 * events, signing keys and hashing secrets. One SQLite file in the data dir, or PostgreSQL
 * (KYCVS_DATABASE_URL) shared by every service process — docs/scaling.md.
 */
export interface DurableStores {
  kind: 'sqlite' | 'postgres';
  secrets: Secrets;
  registry: RegistryWithAdmin;
  clients: ClientStore;
  clientTexts: ClientTexts;
  audit: AuditLog;
  keys: KeyStore;
  webhookEvents: WebhookEventStore;
  /** The SQLite connection (null on PostgreSQL): the live stores share it, as do SQLite-only tools. */
  db: Db | null;
  /** The PostgreSQL pool (null on SQLite). */
  pool: Pool | null;
  /** One round trip to the store: for /healthz. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** What a session's minutes need: sessions, codes, counters, links, sign-ins — and the decision's events. */
export interface LiveStores {
  sessions: SessionStore;
  links: SessionLinks;
  signIns: SignInStore;
  counters: RateCounter;
  /** Tells this process's webhook dispatcher that a decision wrote an event. */
  wakes: WakeSource;
  /** Ends undecided sessions of webhook clients that ran out of time, with their `expired` event. */
  sweeper: ExpirySweep;
  /** The Redis connection, when one is configured (the demo outbox shares it). */
  redis: RedisClient | null;
  close(): Promise<void>;
}

export async function openDurableStores(config: Config, log: Logger): Promise<DurableStores> {
  const stores = config.postgres.url ? await openPostgresStores(config, config.postgres.url, log) : await openSqliteStores(config, log);
  // Read on every API request, from a file or database other processes (KYCVS_WORKERS, the CLI, other
  // machines) also change: served from a bounded in-process cache (5 s staleness, see the class).
  return { ...stores, clients: new CachedClientStore(stores.clients), clientTexts: new CachedClientTexts(stores.clientTexts) };
}

async function openPostgresStores(config: Config, url: string, log: Logger): Promise<DurableStores> {
  const kek = requireKek(config.kek);
  const pool = createPool({ url, size: config.postgres.poolSize });
  try {
    // Versioned migrations on start: N processes starting at once apply each version once (advisory lock).
    await migrate(pool);
    const secrets = await loadPostgresSecrets(pool, kek);
    const keys = await PostgresKeyStore.open({
      pool,
      kek: kek,
      tokenTtlSeconds: config.tokenTtlSeconds,
      onRefreshError: (err) => log.warn({ err }, 'signing keys: refresh from PostgreSQL failed'),
    });
    return {
      kind: 'postgres',
      secrets,
      registry: postgresRegistry(pool, secrets.mobileKey),
      clients: new PostgresClientStore(pool, secrets.apiKeyKey),
      clientTexts: new PostgresClientTexts(pool),
      audit: new PostgresAuditLog(pool),
      keys,
      webhookEvents: new PostgresWebhookEventStore(pool),
      db: null,
      pool,
      async ping() {
        await query(pool, 'SELECT 1');
      },
      async close() {
        await keys.close();
        await pool.end();
      },
    };
  } catch (err) {
    await pool.end().catch(() => {});
    throw err;
  }
}

async function openSqliteStores(config: Config, log: Logger): Promise<DurableStores> {
  const secrets = loadSecrets(config.dataDir);
  const db = openDatabase(path.join(config.dataDir, DATABASE_FILE), { cacheMb: config.dbCacheMb });
  const keys = await FileKeyStore.open(config.dataDir, config.tokenTtlSeconds);
  const checkpointer = new WalCheckpointer(db, log.child({ component: 'store' }));
  return {
    kind: 'sqlite',
    secrets,
    registry: sqliteRegistry(db, secrets.mobileKey),
    clients: new SqliteClientStore(db, secrets.apiKeyKey),
    clientTexts: new SqliteClientTexts(db),
    audit: new SqliteAuditLog(db),
    keys,
    webhookEvents: new SqliteWebhookEventStore(db),
    db,
    pool: null,
    async ping() {
      db.prepare('SELECT 1').get();
    },
    async close() {
      await keys.close();
      await checkpointer.stop();
      db.close();
    },
  };
}

/**
 * The expiry sweep's set pairs on a Redis Cluster: each pair is one hash slot, so this many spread
 * the sweep over up to this many masters (a sweep runs all of them at once, each with its share).
 */
const CLUSTER_SWEEP_SHARDS = 16;

/**
 * The live stores beside `durable`: in Redis when the durable store is PostgreSQL (sessions, links,
 * sign-ins, counters; each decision still committed to PostgreSQL first), in the SQLite file
 * otherwise — with the rate counters alone in Redis when KYCVS_REDIS_URL is set.
 */
export function openLiveStores(config: Config, durable: DurableStores): LiveStores {
  distributedStoreSettings(config); // on PostgreSQL: refuses without Redis, saying so
  const redis = config.redisUrl ? createRedisClient(config.redisUrl, { cluster: config.redisCluster }) : null;
  const counters: RateCounter = redis
    ? new RedisRateCounter(redis, { prefix: `${config.redisPrefix}rate:` })
    : new SqliteRateCounter(requireDb(durable));
  const closeRedis = async () => {
    if (redis) await closeRedisClient(redis);
  };

  if (durable.pool && redis) {
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
      close: closeRedis,
    };
  }

  const db = requireDb(durable);
  const outbox = new WebhookOutbox(db, config.webhooks.retryForMs);
  return {
    sessions: new SqliteSessionStore(db, outbox),
    links: new SqliteSessionLinks(db, config.issuer),
    signIns: new SqliteSignInStore(db),
    counters,
    wakes: outbox,
    sweeper: new ExpirySweeper(db, outbox, config.webhooks.expiryGraceMs),
    redis,
    close: closeRedis,
  };
}

function requireDb(durable: DurableStores): Db {
  if (!durable.db) throw new Error('the SQLite live stores need the SQLite durable store');
  return durable.db;
}
