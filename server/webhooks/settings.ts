import type { Resolver } from './address-policy.ts';

/** How webhooks are delivered; every figure has an environment variable (README, Configuration). */
export interface WebhookSettings {
  /** How often a dispatcher looks for due events that no wake-up announced (another process's). */
  pollMs: number;
  /** First retry after about this long; each later one waits twice as long… */
  retryBaseMs: number;
  /** …up to this (before jitter: each wait is drawn from [d/2, d]). */
  retryMaxDelayMs: number;
  /** Retries stop this long after the event (then it is `failed`, replayable from the CLI). */
  retryForMs: number;
  /** One attempt, from lookup to the answer's end. */
  timeoutMs: number;
  /** The TCP connection of one attempt. */
  connectTimeoutMs: number;
  /** Deliveries in flight per process. */
  concurrency: number;
  /** Delivered and failed events (and their attempts) are deleted this long after they were created. */
  retainMs: number;
  /** A session counts as expired for its event this long after its `expires_at` (clock granularity). */
  expiryGraceMs: number;
  /** Bytes of an answer read before the connection is cut. */
  maxResponseBytes: number;
  /** Tests only (no variable): how names resolve. Default: the system resolver. */
  resolve?: Resolver;
}

function intFrom(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  return n;
}

export function webhookSettingsFromEnv(env: NodeJS.ProcessEnv): WebhookSettings {
  const timeoutMs = intFrom(env, 'KYCVS_WEBHOOK_TIMEOUT_MS', 10_000, 100, 60_000);
  return {
    pollMs: intFrom(env, 'KYCVS_WEBHOOK_POLL_MS', 1000, 10, 60_000),
    retryBaseMs: intFrom(env, 'KYCVS_WEBHOOK_RETRY_BASE_MS', 5000, 10, 3_600_000),
    retryMaxDelayMs: intFrom(env, 'KYCVS_WEBHOOK_RETRY_MAX_MS', 7_200_000, 10, 86_400_000),
    retryForMs: intFrom(env, 'KYCVS_WEBHOOK_RETRY_FOR', 86_400, 1, 7 * 86_400) * 1000,
    timeoutMs,
    connectTimeoutMs: Math.min(timeoutMs, intFrom(env, 'KYCVS_WEBHOOK_CONNECT_TIMEOUT_MS', 5000, 100, 60_000)),
    concurrency: intFrom(env, 'KYCVS_WEBHOOK_CONCURRENCY', 8, 1, 256),
    retainMs: intFrom(env, 'KYCVS_WEBHOOK_RETAIN_DAYS', 7, 1, 3650) * 86_400_000,
    expiryGraceMs: 2000,
    maxResponseBytes: 4096,
  };
}
