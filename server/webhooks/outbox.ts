import crypto from 'node:crypto';
import type { WebhookEvent } from '../../protocol/api.ts';
import type { Db } from '../store/database.ts';

export type WebhookEventType = WebhookEvent['type'];

/** Why a session ended `failed`: the only terminal failure the service records is the wrong-code lock. */
export type FailureReason = NonNullable<WebhookEvent['data']['reason']>;

/**
 * What an event says (protocol/schemas.ts `webhookEvent`, Standard Webhooks' recommended shape).
 * Thin on purpose: who asked (the client, its own nonce) and which session; for `completed` the
 * signed token, which carries the status — no status field beside it, nothing about the person.
 */
export type WebhookPayload = WebhookEvent;

export type EventExtra = { token: string } | { reason: FailureReason } | Record<string, never>;

/** Event ids: `msg_` and 128 random bits (base64url: no `.`, as the signature scheme needs). */
export function newEventId(): string {
  return `msg_${crypto.randomBytes(16).toString('base64url')}`;
}

/** A session's event as stored in `webhook_events` (SQLite and PostgreSQL alike). */
export interface WebhookEventRow {
  id: string;
  clientId: string;
  sessionId: string;
  type: WebhookEventType;
  /** The JSON body delivered, signed, to the client. */
  payload: string;
  createdAt: number;
  giveUpAt: number;
}

/**
 * The one place an event's row and payload are made, for every outbox (this one, and
 * PostgresWebhookOutbox): whichever store a session lives in, its client receives the same body.
 */
export function newWebhookEventRow(
  type: WebhookEventType,
  target: { sessionId: string; clientId: string; nonce: string | null },
  at: number,
  retryForMs: number,
  extra: EventExtra = {},
): WebhookEventRow {
  const payload: WebhookPayload = {
    type,
    timestamp: new Date(at).toISOString(),
    data: { session_id: target.sessionId, client_id: target.clientId, nonce: target.nonce, ...extra },
  };
  return {
    id: newEventId(),
    clientId: target.clientId,
    sessionId: target.sessionId,
    type,
    payload: JSON.stringify(payload),
    createdAt: at,
    giveUpAt: at + retryForMs,
  };
}

/** Listeners told when this process wrote events, so its dispatcher looks at once (others poll). */
export class WakeSignal {
  readonly #listeners = new Set<() => void>();

  /** After the enqueuing transaction committed: this process's dispatcher looks now. */
  wake(): void {
    for (const listener of this.#listeners) listener();
  }

  onWake(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}

/**
 * The durable outbox. `enqueue` is called inside the transaction that changes the session's state
 * (and writes its audit record), so an acknowledged decision always has its event, and a rolled-back
 * one never does; `wake` after that transaction committed tells this process's dispatcher at once
 * (other processes find it by polling). Only clients with a webhook get rows.
 */
export class WebhookOutbox extends WakeSignal {
  readonly #target;
  readonly #insert;
  readonly #retryForMs: number;

  /** `retryForMs`: how long after the event its delivery is retried (then it is `failed`). */
  constructor(db: Db, retryForMs = DEFAULT_RETRY_FOR_MS) {
    super();
    this.#retryForMs = retryForMs;
    this.#target = db.prepare<[string], { client_id: string; nonce: string | null }>(
      `SELECT s.client_id, s.nonce FROM sessions s JOIN clients c ON c.id = s.client_id
       WHERE s.id = ? AND c.webhook_url IS NOT NULL`,
    );
    // One terminal event per session (UNIQUE session_id): a second writer's insert is a no-op.
    this.#insert = db.prepare(
      `INSERT INTO webhook_events (id, client_id, session_id, type, payload, created_at, state, next_attempt_at, give_up_at)
       VALUES (@id, @clientId, @sessionId, @type, @payload, @createdAt, 'pending', @createdAt, @giveUpAt)
       ON CONFLICT (session_id) DO NOTHING`,
    );
  }

  /**
   * Writes the event of `sessionId` ending as `type` at `at`, if its client has a webhook. Must run
   * inside the caller's transaction; true when a row was written (then call `wake` after commit).
   */
  enqueue(type: WebhookEventType, sessionId: string, at: number, extra: EventExtra = {}): boolean {
    const target = this.#target.get(sessionId);
    if (!target) return false;
    const row = newWebhookEventRow(type, { sessionId, clientId: target.client_id, nonce: target.nonce }, at, this.#retryForMs, extra);
    return this.#insert.run(row).changes === 1;
  }
}

/** Retries end 24 h after the event unless configured otherwise. */
export const DEFAULT_RETRY_FOR_MS = 24 * 3600_000;
