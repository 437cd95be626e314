import type { Logger } from 'pino';
import type { ClientTexts } from './clients/client-texts.ts';
import type { ClientStore } from './clients/clients.ts';
import { seedDemoClients, seedDemoClientTexts } from './clients/demo-clients.ts';
import { type Config, distributedStoreSettings } from './config.ts';
import type { AuditLog } from './consent/audit.ts';
import type { SignInStore } from './me/sign-in-store.ts';
import { Metrics } from './metrics.ts';
import { deriveAddressKey } from './quotas/address-key.ts';
import type { RateCounter } from './quotas/rate-counter.ts';
import { seedDemoRegistry } from './registry/demo-seed.ts';
import type { RegistryWithAdmin } from './registry/registry-with-admin.ts';
import { SessionFlow } from './sessions/endpoints.ts';
import type { FlowDeps } from './sessions/flow-context.ts';
import type { SessionStore } from './sessions/session-store.ts';
import type { KeyStore } from './signing/key-store.ts';
import { StatusTokenSigner } from './signing/status-token.ts';
import { SmsDispatcher } from './sms/dispatcher.ts';
import { type OutboxEntry, OutboxSmsSender } from './sms/outbox.ts';
import type { SmsSender } from './sms/sms.ts';
import { ThreadedSmsSender } from './sms/threaded-sender.ts';
import type { Db } from './store/database.ts';
import { openDurableStores, openLiveStores } from './store/open-stores.ts';
import { failFastOnBusy } from './store/sqlite-writer.ts';
import { WebhookDispatcher } from './webhooks/dispatcher.ts';

export { DATABASE_FILE } from './store/open-stores.ts';

/** Everything the HTTP layer and the CLI work with, wired once per process. */
export interface Services {
  config: Config;
  log: Logger;
  /** The SQLite file's connection; null when the stores are PostgreSQL + Redis. */
  db: Db | null;
  /**
   * The registry's two sides on one object: requests use it as a `Registry` (lookup, mobileHash);
   * seeding and tests use its `RegistryAdmin` side (upsertBatch, count, imports).
   */
  registry: RegistryWithAdmin;
  clients: ClientStore;
  clientTexts: ClientTexts;
  sessions: SessionStore;
  audit: AuditLog;
  counters: RateCounter;
  keys: KeyStore;
  /** The citizen's history page sign-ins. */
  signIns: SignInStore;
  flow: SessionFlow;
  /** What the flow's steps work with: shared by every API shaped on them (/v1, the Co-WIN-compatible one). */
  flowDeps: FlowDeps;
  /** Key for the keyed hashes of callers' addresses (per-address quotas). */
  addressSecret: Buffer;
  sms: SmsDispatcher;
  /** Demo mode, one process without Redis: the texts "sent", in this process's memory (tests read it directly). */
  outbox: OutboxSmsSender | null;
  /** Demo mode only: the texts "sent" as the demo page reads them (in Redis when configured, shared by every process). */
  demoTexts: { list(mobile?: string): Promise<OutboxEntry[]> } | null;
  metrics: Metrics;
  /** Delivers session events to clients' webhooks (off the request path). */
  webhooks: WebhookDispatcher;
  /** One round trip to the durable store (for /healthz). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export async function createServices(config: Config, log: Logger): Promise<Services> {
  distributedStoreSettings(config); // what a service on PostgreSQL lacks is refused before anything opens
  const durable = await openDurableStores(config, log);
  const live = await openLiveStores(config, durable);
  const { secrets, registry, clients, clientTexts, keys } = durable;
  const metrics = new Metrics();

  let outbox: OutboxSmsSender | null = null;
  let demoTexts: Services['demoTexts'] = null;
  let sender: SmsSender;
  if (config.smsGateway) {
    sender = new ThreadedSmsSender(config.smsGateway);
  } else if (config.demo && live.redis) {
    const { RedisOutboxSmsSender } = await import('./sms/redis-outbox.ts'); // ioredis is loaded only with Redis
    const shared = new RedisOutboxSmsSender(live.redis, { prefix: config.redisPrefix });
    sender = demoTexts = shared;
  } else if (config.demo) {
    const memory = (sender = outbox = new OutboxSmsSender());
    demoTexts = { list: async (mobile) => memory.list(mobile) };
  } else {
    throw new Error('No SMS sender: set KYCVS_SMS_GATEWAY_URL, or KYCVS_DEMO=1 for the demo outbox');
  }
  const sms = new SmsDispatcher(sender, log.child({ component: 'sms' }), metrics);

  if (config.demo) {
    // Idempotent: every process of a cluster runs it, on SQLite or PostgreSQL.
    await seedDemoRegistry(registry);
    await seedDemoClients(clients, config);
    await seedDemoClientTexts(clientTexts);
  }
  // Started: from here the SQLite connection's writes wait for other processes without blocking (sqlite-writer.ts).
  if (durable.db) failFastOnBusy(durable.db);

  const flowDeps: FlowDeps = {
    sessions: live.sessions,
    clients,
    registry,
    signer: new StatusTokenSigner(keys, config.issuer, config.tokenTtlSeconds),
    sms,
    counters: live.counters,
    secrets,
    limits: config.limits,
    sessionTtlSeconds: config.sessionTtlSeconds,
    serviceHost: new URL(config.issuer).host,
    historyUrl: `${config.issuer}/me/`,
    clientTexts,
    events: metrics,
    links: live.links,
    stepTimer: config.stepTiming ? (endpoint, step, seconds) => metrics.observeStep(endpoint, step, seconds) : null,
  };
  const flow = new SessionFlow(flowDeps);

  // Last: nothing after it can fail and leave its timers running.
  const webhooks = new WebhookDispatcher(
    { events: durable.webhookEvents, clients, wakes: live.wakes, sweeper: live.sweeper },
    config.webhooks,
    { demo: config.demo },
    log.child({ component: 'webhooks' }),
  );
  webhooks.start();
  return {
    config,
    log,
    db: durable.db,
    registry,
    clients,
    clientTexts,
    sessions: live.sessions,
    audit: durable.audit,
    counters: live.counters,
    keys,
    signIns: live.signIns,
    flow,
    flowDeps,
    addressSecret: deriveAddressKey(secrets),
    sms,
    outbox,
    demoTexts,
    metrics,
    webhooks,
    ping: () => durable.ping(),
    async close() {
      await webhooks.close();
      await sms.drain();
      sender.close?.();
      await live.close();
      await durable.close();
      await new Promise<void>((resolve) => log.flush(() => resolve()));
    },
  };
}
