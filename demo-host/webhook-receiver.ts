// The demo railway's webhook endpoint: KYC-VS POSTs session events here, signed per Standard
// Webhooks. A real verifier's backend does the same: verify the signature over the raw body (never
// a re-serialised one), refuse stale timestamps, use `webhook-id` to process each event once,
// answer 2xx quickly. Written with node:crypto alone, to show there is nothing more to it.
import crypto from 'node:crypto';
import express, { type RequestHandler } from 'express';

export type WebhookEventType = 'session.completed' | 'session.denied' | 'session.expired' | 'session.failed';

export interface WebhookPayload {
  type: WebhookEventType;
  timestamp: string;
  data: { session_id: string; client_id: string; nonce: string | null; token?: string; reason?: string };
}

export class WebhookVerificationError extends Error {
  readonly code: 'missing_headers' | 'bad_secret' | 'bad_timestamp' | 'stale_timestamp' | 'bad_signature' | 'bad_payload';
  constructor(code: WebhookVerificationError['code'], message: string) {
    super(message);
    this.code = code;
  }
}

/** Five minutes either way, as the reference libraries allow. */
export const TIMESTAMP_TOLERANCE_SECONDS = 300;

type Headers = Record<string, string | string[] | undefined>;

function header(headers: Headers, name: string): string | undefined {
  const value = headers[name] ?? headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Verifies one delivery: `webhook-signature` holds `v1,<base64 HMAC-SHA256(key, "<id>.<timestamp>.<body>")>`
 * entries separated by spaces (two while the sender rotates secrets); one must match, compared in
 * constant time. The key is the base64 after `whsec_`. Returns the parsed body.
 */
export function verifyWebhook(
  secret: string,
  headers: Headers,
  rawBody: Buffer | string,
  { toleranceSeconds = TIMESTAMP_TOLERANCE_SECONDS, nowMs = Date.now() }: { toleranceSeconds?: number; nowMs?: number } = {},
): { id: string; timestamp: number; payload: WebhookPayload } {
  const id = header(headers, 'webhook-id');
  const timestamp = header(headers, 'webhook-timestamp');
  const signatures = header(headers, 'webhook-signature');
  if (!id || !timestamp || !signatures) throw new WebhookVerificationError('missing_headers', 'webhook-id, webhook-timestamp and webhook-signature are required');
  const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret, 'base64');
  if (key.length < 24) throw new WebhookVerificationError('bad_secret', 'the signing secret is whsec_ and base64 of 24 or more bytes');
  if (!/^\d{1,12}$/.test(timestamp)) throw new WebhookVerificationError('bad_timestamp', 'webhook-timestamp is not a whole number of seconds');
  const seconds = Number(timestamp);
  if (Math.abs(nowMs / 1000 - seconds) > toleranceSeconds) throw new WebhookVerificationError('stale_timestamp', 'webhook-timestamp is too far from now');
  const body = Buffer.isBuffer(rawBody) ? rawBody : Buffer.from(rawBody, 'utf8');
  const expected = crypto.createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest();
  const matched = signatures.split(' ').some((entry) => {
    const [version, value] = entry.split(',', 2);
    if (version !== 'v1' || !value) return false;
    const given = Buffer.from(value, 'base64');
    return given.length === expected.length && crypto.timingSafeEqual(given, expected);
  });
  if (!matched) throw new WebhookVerificationError('bad_signature', 'no signature matches');
  let payload: WebhookPayload;
  try {
    payload = JSON.parse(body.toString('utf8')) as WebhookPayload;
  } catch {
    throw new WebhookVerificationError('bad_payload', 'the body is not JSON');
  }
  return { id, timestamp: seconds, payload };
}

/** What the railway page shows of an event its backend received (never the token itself). */
export interface ReceivedEvent {
  id: string;
  type: WebhookEventType;
  occurredAt: string;
  receivedAt: string;
  /** `completed`: what this backend verified of the token in the event. */
  token?: { status: number; label: string } | { error: string };
  reason?: string;
}

export interface WebhookEventsResponse {
  /** False when the demo was started without a webhook for the railway (e.g. inside a test stack). */
  enabled: boolean;
  events: ReceivedEvent[];
}

export interface WebhookInboxOptions {
  secret: string;
  /** Checks the event's token as the page's token is checked (signature, audience, nonce, session). */
  verifyToken(token: string, expected: { sessionId: string; nonce: string }): Promise<{ status: number; label: string }>;
}

const MAX_KEPT = 1000;

/**
 * The events received, by session (in memory: a demo; a real backend updates its booking). Each
 * `webhook-id` is processed once: a retry of an event already handled is answered 2xx and ignored.
 */
export class WebhookInbox {
  readonly #options: WebhookInboxOptions;
  readonly #seen = new Set<string>();
  readonly #bySession = new Map<string, ReceivedEvent[]>();
  readonly #nonces = new Map<string, string>();

  constructor(options: WebhookInboxOptions) {
    this.#options = options;
  }

  /** The nonce this backend gave a session it made: the event's token must carry it. */
  expect(sessionId: string, nonce: string): void {
    trim(this.#nonces);
    this.#nonces.set(sessionId, nonce);
  }

  eventsFor(sessionId: string): ReceivedEvent[] {
    return this.#bySession.get(sessionId) ?? [];
  }

  /** `POST` handler: raw body in, 204 when verified (or already seen), 400 when not. */
  readonly handler: RequestHandler[] = [
    express.raw({ type: () => true, limit: '64kb' }),
    async (req, res) => {
      let verified;
      try {
        verified = verifyWebhook(this.#options.secret, req.headers, Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0));
      } catch (error) {
        const code = error instanceof WebhookVerificationError ? error.code : 'bad_request';
        res.status(400).json({ error: code });
        return;
      }
      const { id, payload } = verified;
      if (this.#seen.has(id)) {
        res.status(204).end();
        return;
      }
      const event: ReceivedEvent = { id, type: payload.type, occurredAt: payload.timestamp, receivedAt: new Date().toISOString() };
      if (payload.data.reason) event.reason = payload.data.reason;
      const sessionId = payload.data.session_id;
      if (payload.type === 'session.completed' && payload.data.token) {
        const nonce = this.#nonces.get(sessionId);
        try {
          if (!nonce) throw new Error('unknown_session');
          event.token = await this.#options.verifyToken(payload.data.token, { sessionId, nonce });
        } catch (error) {
          event.token = { error: (error as { code?: string }).code ?? (error as Error).message };
        }
      }
      trim(this.#bySession);
      this.#bySession.set(sessionId, [...this.eventsFor(sessionId), event]);
      if (this.#seen.size >= MAX_KEPT * 4) this.#seen.clear();
      this.#seen.add(id);
      res.status(204).end();
    },
  ];
}

function trim(map: Map<string, unknown>): void {
  if (map.size < MAX_KEPT) return;
  const oldest = map.keys().next().value;
  if (oldest !== undefined) map.delete(oldest);
}
