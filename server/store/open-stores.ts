import path from 'node:path';
import type { Logger } from 'pino';
import { CachedClientStore } from '../clients/cached-client-store.ts';
import { CachedClientTexts } from '../clients/cached-client-texts.ts';
import { type ClientTexts, SqliteClientTexts } from '../clients/client-texts.ts';
import { type ClientStore, SqliteClientStore } from '../clients/clients.ts';
import { type Config, distributedStoreSettings } from '../config.ts';
import { type AuditLog, SqliteAuditLog } from '../consent/audit.ts';
import { type SignInStore, SqliteSignInStore } from '../me/sign-in-store.ts';
import { type RateCounter, SqliteRateCounter } from '../quotas/rate-counter.ts';
import type { RegistryWithAdmin } from '../registry/registry-with-admin.ts';
import { sqliteRegistry } from '../registry/sqlite.ts';
import { type SessionLinks, SqliteSessionLinks } from '../sessions/link-store.ts';
import { type SessionStore, SqliteSessionStore } from '../sessions/session-store.ts';
import { FileKeyStore, type KeyStore } from '../signing/key-store.ts';
import type { ExpirySweep, WakeSource } from '../webhooks/dispatcher.ts';
import type { WebhookEventStore } from '../webhooks/event-store.ts';
import { WebhookOutbox } from '../webhooks/outbox.ts';
import { SqliteWebhookEventStore } from '../webhooks/sqlite-event-store.ts';
import { ExpirySweeper } from '../webhooks/sweeper.ts';
import { WalCheckpointer } from './checkpointer.ts';
import { type Db, openDatabase } from './database.ts';
import type { Pool } from './postgres/pool.ts';
import type { RedisClient } from './redis.ts';
import { loadSecrets, type Secrets } from './secrets.ts';

export const DATABASE_FILE = 'kycvs.sqlite';

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
  const stores = config.postgres.url
    ? // Loaded only when configured, as is Redis below: a SQLite-only process never loads pg or ioredis
      // (with their modules, ~20 MB of its resident memory at start).
      await (await import('./postgres-stores.ts')).openPostgresStores(config, config.postgres.url, log)
    : await openSqliteStores(config, log);
  // Read on every API request, from a file or database other processes (KYCVS_WORKERS, the CLI, other
  // machines) also change: served from a bounded in-process cache (5 s staleness, see the class).
  return { ...stores, clients: new CachedClientStore(stores.clients), clientTexts: new CachedClientTexts(stores.clientTexts) };
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
 * The live stores beside `durable`: in Redis when the durable store is PostgreSQL (sessions, links,
 * sign-ins, counters; each decision still committed to PostgreSQL first), in the SQLite file
 * otherwise — with the rate counters alone in Redis when KYCVS_REDIS_URL is set.
 */
export async function openLiveStores(config: Config, durable: DurableStores): Promise<LiveStores> {
  distributedStoreSettings(config); // on PostgreSQL: refuses without Redis, saying so
  if (config.redisUrl) return (await import('./redis-live-stores.ts')).openRedisLiveStores(config, config.redisUrl, durable);
  const db = requireDb(durable);
  return sqliteLiveStores(config, db, { counters: new SqliteRateCounter(db), redis: null, close: async () => {} });
}

/** Sessions, links, sign-ins and the webhook outbox in the SQLite file; the counters wherever `shared` has them. */
export function sqliteLiveStores(config: Config, db: Db, shared: Pick<LiveStores, 'counters' | 'redis' | 'close'>): LiveStores {
  const outbox = new WebhookOutbox(db, config.webhooks.retryForMs);
  return {
    sessions: new SqliteSessionStore(db, outbox),
    links: new SqliteSessionLinks(db, config.issuer),
    signIns: new SqliteSignInStore(db),
    wakes: outbox,
    sweeper: new ExpirySweeper(db, outbox, config.webhooks.expiryGraceMs),
    ...shared,
  };
}

export function requireDb(durable: DurableStores): Db {
  if (!durable.db) throw new Error('the SQLite live stores need the SQLite durable store');
  return durable.db;
}
