// The demo railway's webhook endpoint: KYC-VS POSTs session events here, signed per Standard
// Webhooks. A real verifier's backend does the same with `verifyWebhook` from @kycvs/verifier:
// verify the signature over the raw body (never a re-serialised one), refuse stale timestamps,
// use `webhook-id` to process each event once, answer 2xx quickly.
import { verifyWebhook, WebhookError } from '@kycvs/verifier';
import express, { type RequestHandler } from 'express';
import type { WebhookEvent } from '../protocol/api.ts';

type WebhookEventType = WebhookEvent['type'];

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
        verified = verifyWebhook<WebhookEvent>(Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0), req.headers, this.#options.secret);
      } catch (error) {
        const code = error instanceof WebhookError ? error.code : 'bad_request';
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
