import os from 'node:os';
import path from 'node:path';
import { type Limits, limitsFromEnv } from './quotas/limits.ts';
import { type KeyEncryptionKey, kekFromEnv, requireKek } from './store/kek.ts';
import { type WebhookSettings, webhookSettingsFromEnv } from './webhooks/settings.ts';

/** Everything the service reads from its environment, read once. */
export interface Config {
  port: number;
  host: string;
  dataDir: string;
  issuer: string;
  /** Who runs the service, as the frame names it to the citizen (KYCVS_ISSUER_NAME). */
  issuerName: string;
  demo: boolean;
  demoPort: number;
  demoApiKeys: { railway: string; hotel: string; employer: string };
  /** Lifetime of a status token in seconds (minutes, not days). */
  tokenTtlSeconds: number;
  sessionTtlSeconds: number;
  smsGateway: { url: string; token: string } | null;
  /** Trust X-Forwarded-For from this many proxies (0 = none). */
  trustProxy: number;
  logLevel: string;
  limits: Limits;
  /** Bearer token for GET /metrics; without one, only loopback callers may read it. */
  metricsToken: string | null;
  /** Time each named step of the session flows into /metrics (KYCVS_STEP_TIMING): ~1 µs a step. */
  stepTiming: boolean;
  /** SQLite page cache of the service's connection, MB. */
  dbCacheMb: number;
  /** Signed webhooks: retries, back-off, timeouts (KYCVS_WEBHOOK_*). */
  webhooks: WebhookSettings;
  /** PostgreSQL (KYCVS_DATABASE_URL, KYCVS_DB_POOL_SIZE); null url: the SQLite file in the data dir. */
  postgres: { url: string | null; poolSize: number };
  /**
   * Redis (KYCVS_REDIS_URL). With PostgreSQL: live sessions, links, sign-ins and rate counters;
   * alone (SQLite): the rate counters only. Null: all of it in the main store. With
   * KYCVS_REDIS_CLUSTER=1, seed nodes of a Redis Cluster, comma-separated.
   */
  redisUrl: string | null;
  /** KYCVS_REDIS_CLUSTER=1: the URL names a Redis Cluster (key layout and counting per hash slot). */
  redisCluster: boolean;
  /** Put before every Redis key (KYCVS_REDIS_PREFIX): services sharing one Redis keep apart. */
  redisPrefix: string;
  /**
   * Key-encryption key (KYCVS_KEK, base64 of 32 bytes, or KYCVS_KEK_FILE): signing keys and hashing
   * secrets kept in PostgreSQL are encrypted under it. Required with PostgreSQL; unused with SQLite.
   */
  kek: KeyEncryptionKey | null;
  /** Service processes sharing the port (KYCVS_WORKERS, node:cluster; default one per core); 1 = this process serves. */
  workers: number;
}

export const DEMO_API_KEY_DEFAULTS = {
  railway: 'demo-railway-key-not-secret',
  hotel: 'demo-hotel-key-not-secret',
  employer: 'demo-employer-key-not-secret',
} as const;

function intFrom(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new Error(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  }
  return n;
}

/** A short, printable display name: it is shown to every citizen in the frame. */
function displayNameFrom(env: NodeJS.ProcessEnv, name: string, fallback: string): string {
  const raw = (env[name] ?? '').trim();
  if (raw === '') return fallback;
  if (raw.length > 60 || /\p{C}/u.test(raw)) throw new Error(`${name} must be at most 60 printable characters, got "${raw}"`);
  return raw;
}

function flagFrom(env: NodeJS.ProcessEnv, name: string): boolean {
  const raw = (env[name] ?? '').toLowerCase();
  return raw === '1' || raw === 'true' || raw === 'yes' || raw === 'on';
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const port = intFrom(env, 'PORT', 8080, 0, 65535);
  const gatewayUrl = env.KYCVS_SMS_GATEWAY_URL;
  const demo = flagFrom(env, 'KYCVS_DEMO');
  const redisCluster = flagFrom(env, 'KYCVS_REDIS_CLUSTER');
  const config: Config = {
    port,
    host: env.HOST || '127.0.0.1',
    dataDir: path.resolve(env.KYCVS_DATA_DIR || './data'),
    issuer: (env.KYCVS_ISSUER || `http://localhost:${port}`).replace(/\/+$/, ''),
    issuerName: displayNameFrom(env, 'KYCVS_ISSUER_NAME', demo ? 'KYC-VS demo' : 'KYC-VS'),
    demo,
    demoPort: intFrom(env, 'DEMO_PORT', 8081, 1, 65535),
    demoApiKeys: {
      railway: env.DEMO_RAILWAY_API_KEY || DEMO_API_KEY_DEFAULTS.railway,
      hotel: env.DEMO_HOTEL_API_KEY || DEMO_API_KEY_DEFAULTS.hotel,
      employer: env.DEMO_EMPLOYER_API_KEY || DEMO_API_KEY_DEFAULTS.employer,
    },
    tokenTtlSeconds: intFrom(env, 'KYCVS_TOKEN_TTL', 300, 30, 3600),
    sessionTtlSeconds: 600,
    smsGateway: gatewayUrl ? { url: gatewayUrl, token: env.KYCVS_SMS_GATEWAY_TOKEN ?? '' } : null,
    trustProxy: intFrom(env, 'KYCVS_TRUST_PROXY', 0, 0, 10),
    logLevel: env.LOG_LEVEL || 'info',
    limits: limitsFromEnv(env),
    metricsToken: env.KYCVS_METRICS_TOKEN || null,
    stepTiming: flagFrom(env, 'KYCVS_STEP_TIMING'),
    dbCacheMb: intFrom(env, 'KYCVS_DB_CACHE_MB', 16, 2, 65536),
    webhooks: webhookSettingsFromEnv(env),
    postgres: { url: databaseUrlFrom(env), poolSize: intFrom(env, 'KYCVS_DB_POOL_SIZE', 10, 1, 1000) },
    redisUrl: redisUrlFrom(env, redisCluster),
    redisCluster,
    redisPrefix: redisPrefixFrom(env),
    kek: kekFromEnv(env),
    workers: intFrom(env, 'KYCVS_WORKERS', os.availableParallelism(), 1, 256),
  };
  return config;
}

/**
 * What a service process on PostgreSQL needs besides the URL (checked when the service starts, not by
 * loadConfig: `db migrate` needs only the URL). One line each, saying what to set.
 */
export function distributedStoreSettings(config: Config): { url: string; redisUrl: string; kek: KeyEncryptionKey } | null {
  if (!config.postgres.url) return null;
  if (!config.redisUrl) {
    throw new Error('KYCVS_DATABASE_URL needs KYCVS_REDIS_URL too: live sessions, codes and counters are kept in Redis, durable data in PostgreSQL');
  }
  return { url: config.postgres.url, redisUrl: config.redisUrl, kek: requireKek(config.kek) };
}


/**
 * Only a postgres:// URL selects PostgreSQL; anything else is a typo we refuse rather than ignore.
 * The refusal does not echo the value: a database URL may carry a password.
 */
function databaseUrlFrom(env: NodeJS.ProcessEnv): string | null {
  const raw = (env.KYCVS_DATABASE_URL ?? '').trim();
  if (raw === '') return null;
  if (!/^postgres(ql)?:\/\//.test(raw)) throw new Error('KYCVS_DATABASE_URL must be a postgres:// or postgresql:// URL');
  return raw;
}

function redisPrefixFrom(env: NodeJS.ProcessEnv): string {
  const raw = env.KYCVS_REDIS_PREFIX ?? 'kycvs:';
  if (!/^[\x21-\x7e]{1,64}$/.test(raw)) throw new Error('KYCVS_REDIS_PREFIX must be 1-64 printable ASCII characters, no spaces');
  return raw;
}

/** As databaseUrlFrom: only redis:// or rediss:// (TLS), refused without echoing the value (it may carry a password). */
function redisUrlFrom(env: NodeJS.ProcessEnv, cluster: boolean): string | null {
  const raw = (env.KYCVS_REDIS_URL ?? '').trim();
  if (raw === '') return null;
  const urls = raw.split(',').map((u) => u.trim());
  if (!urls.every((u) => /^rediss?:\/\/[^/?#,]/.test(u))) throw new Error('KYCVS_REDIS_URL must be a redis:// or rediss:// URL');
  if (urls.length > 1 && !cluster) {
    throw new Error('KYCVS_REDIS_URL lists several servers: set KYCVS_REDIS_CLUSTER=1 for a Redis Cluster (one URL for one server)');
  }
  // A Redis Cluster has database 0 only: a number there would be ignored, not honoured.
  if (cluster && urls.some((u) => !/^\/?0?$/.test(new URL(u).pathname))) {
    throw new Error('KYCVS_REDIS_URL: a Redis Cluster has database 0 only; drop the database number');
  }
  return urls.join(',');
}
