import path from 'node:path';
import type { Logger } from 'pino';
import { type ClientStore, SqliteClientStore } from './clients/clients.ts';
import { ClientTexts } from './clients/client-texts.ts';
import { seedDemoClients, seedDemoClientTexts } from './clients/demo-clients.ts';
import type { Config } from './config.ts';
import { type AuditLog, SqliteAuditLog } from './consent/audit.ts';
import { Metrics } from './metrics.ts';
import { deriveAddressKey } from './quotas/address-key.ts';
import { type RateCounter, SqliteRateCounter } from './quotas/rate-counter.ts';
import { closeRedisClient, createRedisClient, RedisRateCounter } from './quotas/redis-rate-counter.ts';
import { seedDemoRegistry } from './registry/demo-seed.ts';
import { type RegistryWithAdmin, sqliteRegistry } from './registry/sqlite.ts';
import { SessionFlow } from './sessions/endpoints.ts';
import type { FlowDeps } from './sessions/flow-context.ts';
import { type SessionStore, SqliteSessionStore } from './sessions/session-store.ts';
import { SqliteSessionLinks } from './sessions/link-store.ts';
import { KeyStore } from './signing/key-store.ts';
import { StatusTokenSigner } from './signing/status-token.ts';
import { SmsDispatcher } from './sms/dispatcher.ts';
import { ThreadedSmsSender } from './sms/threaded-sender.ts';
import { OutboxSmsSender } from './sms/outbox.ts';
import type { SmsSender } from './sms/sms.ts';
import { WalCheckpointer } from './store/checkpointer.ts';
import { type Db, openDatabase } from './store/database.ts';
import { loadSecrets } from './store/secrets.ts';
import { WebhookDispatcher } from './webhooks/dispatcher.ts';
import { WebhookOutbox } from './webhooks/outbox.ts';

/** Everything the HTTP layer and the CLI work with, wired once per process. */
export interface Services {
  config: Config;
  log: Logger;
  db: Db;
  /**
   * The registry's two sides on one object: requests use it as a `Registry` (lookup, mobileHash);
   * seeding and tests use its `RegistryAdmin` side (upsertBatch, count, imports).
   */
  registry: RegistryWithAdmin;
  clients: ClientStore;
  sessions: SessionStore;
  audit: AuditLog;
  counters: RateCounter;
  keys: KeyStore;
  flow: SessionFlow;
  /** What the flow's steps work with: shared by every API shaped on them (/v1, the Co-WIN-compatible one). */
  flowDeps: FlowDeps;
  /** Key for the keyed hashes of callers' addresses (per-address quotas). */
  addressSecret: Buffer;
  sms: SmsDispatcher;
  /** Demo mode only: the texts "sent", for the demo page. */
  outbox: OutboxSmsSender | null;
  metrics: Metrics;
  /** Delivers session events to clients' webhooks (off the request path). */
  webhooks: WebhookDispatcher;
  close(): Promise<void>;
}

export const DATABASE_FILE = 'kycvs.sqlite';

export async function createServices(config: Config, log: Logger): Promise<Services> {
  const secrets = loadSecrets(config.dataDir);
  const db = openDatabase(path.join(config.dataDir, DATABASE_FILE), { cacheMb: config.dbCacheMb });
  const registry = sqliteRegistry(db, secrets.mobileKey);
  const clients = new SqliteClientStore(db, secrets.apiKeyKey);
  const webhookOutbox = new WebhookOutbox(db, config.webhooks.retryForMs);
  const sessions = new SqliteSessionStore(db, webhookOutbox);
  // KYCVS_REDIS_URL moves the rate counters (and only them, today) to Redis: docs/scaling.md §4.
  const redis = config.redisUrl ? createRedisClient(config.redisUrl) : null;
  const counters: RateCounter = redis ? new RedisRateCounter(redis, { prefix: config.redisPrefix }) : new SqliteRateCounter(db);
  const keys = await KeyStore.open(config.dataDir, config.tokenTtlSeconds);
  const metrics = new Metrics();

  let outbox: OutboxSmsSender | null = null;
  let sender: SmsSender;
  if (config.smsGateway) {
    sender = new ThreadedSmsSender(config.smsGateway);
  } else if (config.demo) {
    sender = outbox = new OutboxSmsSender();
  } else {
    throw new Error('No SMS sender: set KYCVS_SMS_GATEWAY_URL, or KYCVS_DEMO=1 for the demo outbox');
  }
  const sms = new SmsDispatcher(sender, log.child({ component: 'sms' }), metrics);

  if (config.demo) {
    await seedDemoRegistry(registry);
    await seedDemoClients(clients, config);
    seedDemoClientTexts(new ClientTexts(db));
  }

  const flowDeps: FlowDeps = {
    sessions,
    clients,
    registry,
    signer: new StatusTokenSigner(keys, config.issuer, config.tokenTtlSeconds),
    sms,
    counters,
    secrets,
    limits: config.limits,
    sessionTtlSeconds: config.sessionTtlSeconds,
    serviceHost: new URL(config.issuer).host,
    historyUrl: `${config.issuer}/me/`,
    clientTexts: new ClientTexts(db),
    events: metrics,
    links: new SqliteSessionLinks(db, config.issuer),
  };
  const flow = new SessionFlow(flowDeps);

  // Last: nothing after it can fail and leave its thread and connection open.
  const webhooks = new WebhookDispatcher(db, clients, webhookOutbox, config.webhooks, { demo: config.demo }, log.child({ component: 'webhooks' }));
  webhooks.start();
  const checkpointer = new WalCheckpointer(db, log.child({ component: 'store' }));
  return {
    config,
    log,
    db,
    registry,
    clients,
    sessions,
    audit: new SqliteAuditLog(db),
    counters,
    keys,
    flow,
    flowDeps,
    addressSecret: deriveAddressKey(secrets),
    sms,
    outbox,
    metrics,
    webhooks,
    async close() {
      await webhooks.close();
      await sms.drain();
      sender.close?.();
      await checkpointer.stop();
      if (redis) await closeRedisClient(redis);
      db.close();
      await new Promise<void>((resolve) => log.flush(() => resolve()));
    },
  };
}
