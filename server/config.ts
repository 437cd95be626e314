import path from 'node:path';
import { type Limits, limitsFromEnv } from './quotas/limits.ts';
import { type WebhookSettings, webhookSettingsFromEnv } from './webhooks/settings.ts';

/** Everything the service reads from its environment, read once. */
export interface Config {
  port: number;
  host: string;
  dataDir: string;
  issuer: string;
  demo: boolean;
  demoPort: number;
  demoApiKeys: { railway: string; hotel: string };
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
  /** SQLite page cache of the service's connection, MB. */
  dbCacheMb: number;
  /** Signed webhooks: retries, back-off, timeouts (KYCVS_WEBHOOK_*). */
  webhooks: WebhookSettings;
}

export const DEMO_API_KEY_DEFAULTS = {
  railway: 'demo-railway-key-not-secret',
  hotel: 'demo-hotel-key-not-secret',
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

function flagFrom(env: NodeJS.ProcessEnv, name: string): boolean {
  const raw = (env[name] ?? '').toLowerCase();
  return raw === '1' || raw === 'true' || raw === 'yes' || raw === 'on';
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const port = intFrom(env, 'PORT', 8080, 0, 65535);
  const gatewayUrl = env.KYCVS_SMS_GATEWAY_URL;
  return {
    port,
    host: env.HOST || '127.0.0.1',
    dataDir: path.resolve(env.KYCVS_DATA_DIR || './data'),
    issuer: (env.KYCVS_ISSUER || `http://localhost:${port}`).replace(/\/+$/, ''),
    demo: flagFrom(env, 'KYCVS_DEMO'),
    demoPort: intFrom(env, 'DEMO_PORT', 8081, 1, 65535),
    demoApiKeys: {
      railway: env.DEMO_RAILWAY_API_KEY || DEMO_API_KEY_DEFAULTS.railway,
      hotel: env.DEMO_HOTEL_API_KEY || DEMO_API_KEY_DEFAULTS.hotel,
    },
    tokenTtlSeconds: intFrom(env, 'KYCVS_TOKEN_TTL', 300, 30, 3600),
    sessionTtlSeconds: 600,
    smsGateway: gatewayUrl ? { url: gatewayUrl, token: env.KYCVS_SMS_GATEWAY_TOKEN ?? '' } : null,
    trustProxy: intFrom(env, 'KYCVS_TRUST_PROXY', 0, 0, 10),
    logLevel: env.LOG_LEVEL || 'info',
    limits: limitsFromEnv(env),
    metricsToken: env.KYCVS_METRICS_TOKEN || null,
    dbCacheMb: intFrom(env, 'KYCVS_DB_CACHE_MB', 16, 2, 65536),
    webhooks: webhookSettingsFromEnv(env),
  };
}
