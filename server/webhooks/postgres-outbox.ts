import { type PoolClient, prepared, statement } from '../store/postgres/pool.ts';
import { DEFAULT_RETRY_FOR_MS, type EventExtra, type WebhookEventRow, type WebhookEventType, WakeSignal, newWebhookEventRow } from './outbox.ts';

/** The session an event is about, as the live session store knows it. */
export interface EventTarget {
  sessionId: string;
  clientId: string;
  nonce: string | null;
}

export interface EventToWrite {
  type: WebhookEventType;
  target: EventTarget;
  at: number;
  extra?: EventExtra;
}

/** What `enqueue` did for each session whose client has a webhook. */
export interface EnqueueResult {
  /** Sessions whose client has a webhook (the others get no row). */
  wanted: Set<string>;
  /** Of those, the ones written now; a wanted one not written already had its one terminal event. */
  written: Set<string>;
}

/**
 * One statement for any number of events (arrays in, one row out per event whose client has a
 * webhook). A decision's event is written by kycvs_record_decision (migration 003) under the same
 * rule: change both together.
 */
const ENQUEUE = prepared(
  'webhook_events_enqueue',
  `WITH ev AS (
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::bigint[])
      AS e (session_id, id, client_id, type, payload, created_at, give_up_at)
  ), target AS (
    SELECT ev.* FROM ev JOIN clients c ON c.id = ev.client_id WHERE c.webhook_url IS NOT NULL
  ), ins AS (
    INSERT INTO webhook_events (session_id, id, client_id, type, payload, created_at, state, next_attempt_at, give_up_at)
    SELECT session_id, id, client_id, type, payload, created_at, 'pending', created_at, give_up_at FROM target
    ON CONFLICT (session_id) DO NOTHING RETURNING session_id
  )
  SELECT target.session_id, ins.session_id IS NOT NULL AS written FROM target LEFT JOIN ins USING (session_id)`,
);

/**
 * The outbox in PostgreSQL, for sessions that live in Redis: the clients table is in the same
 * database, so "only clients with a webhook" is part of the insert. Rows and payloads come from
 * `newWebhookEventRow`, as in the SQLite WebhookOutbox; `wake`/`onWake` are the same, so the
 * dispatcher listens to either.
 */
export class PostgresWebhookOutbox extends WakeSignal {
  readonly #retryForMs: number;

  /** `retryForMs`: how long after the event its delivery is retried (then it is `failed`). */
  constructor(retryForMs = DEFAULT_RETRY_FOR_MS) {
    super();
    this.#retryForMs = retryForMs;
  }

  /** `event` as its row: payload, id, and when its delivery is given up. */
  row(event: EventToWrite): WebhookEventRow {
    return newWebhookEventRow(event.type, event.target, event.at, this.#retryForMs, event.extra);
  }

  /**
   * Writes the events inside the caller's transaction (`client`), one statement for any number:
   * each only if its client has a webhook, and only if its session has no event yet
   * (`ON CONFLICT (session_id) DO NOTHING`: one terminal event per session). Call `wake` after commit.
   */
  async enqueue(client: PoolClient, events: readonly EventToWrite[]): Promise<EnqueueResult> {
    if (events.length === 0) return { wanted: new Set(), written: new Set() };
    const rows = events.map((e) => this.row(e));
    const { rows: outcome } = await client.query<{ session_id: string; written: boolean }>(
      statement(ENQUEUE, [
        rows.map((r) => r.sessionId),
        rows.map((r) => r.id),
        rows.map((r) => r.clientId),
        rows.map((r) => r.type),
        rows.map((r) => r.payload),
        rows.map((r) => r.createdAt),
        rows.map((r) => r.giveUpAt),
      ]),
    );
    return {
      wanted: new Set(outcome.map((o) => o.session_id)),
      written: new Set(outcome.filter((o) => o.written).map((o) => o.session_id)),
    };
  }
}
