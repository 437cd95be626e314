import crypto from 'node:crypto';
import type { Db } from '../store/database.ts';
import type { WebhookEventType } from './outbox.ts';

export type EventState = 'pending' | 'delivered' | 'failed';
export const EVENT_STATES: readonly EventState[] = ['pending', 'delivered', 'failed'];

export interface WebhookEvent {
  id: string;
  clientId: string;
  sessionId: string;
  type: WebhookEventType;
  /** The exact body sent, on every attempt. */
  payload: string;
  createdAt: number;
  state: EventState;
  attempts: number;
  nextAttemptAt: number;
  giveUpAt: number;
  finishedAt: number | null;
  lastResult: string | null;
}

export interface AttemptRecord {
  eventId: string;
  attempt: number;
  at: number;
  durationMs: number;
  statusCode: number | null;
  error: string | null;
}

interface EventRow {
  id: string;
  client_id: string;
  session_id: string;
  type: WebhookEventType;
  payload: string;
  created_at: number;
  state: EventState;
  attempts: number;
  next_attempt_at: number;
  give_up_at: number;
  finished_at: number | null;
  last_result: string | null;
}

const fromRow = (r: EventRow): WebhookEvent => ({
  id: r.id,
  clientId: r.client_id,
  sessionId: r.session_id,
  type: r.type,
  payload: r.payload,
  createdAt: r.created_at,
  state: r.state,
  attempts: r.attempts,
  nextAttemptAt: r.next_attempt_at,
  giveUpAt: r.give_up_at,
  finishedAt: r.finished_at,
  lastResult: r.last_result,
});

/** An event this process holds a lease on: `claim` proves it when the attempt is recorded. */
export interface ClaimedEvent extends WebhookEvent {
  claim: string;
}

export type AttemptEnd =
  | { kind: 'delivered' }
  | { kind: 'retry'; at: number }
  | { kind: 'failed' };

/**
 * The outbox's rows and their attempts. A due event is *claimed* by one dispatcher with a lease:
 * one UPDATE moves its `next_attempt_at` to the lease's end and stamps a random claim, so no other
 * process (or tick) picks it while the attempt runs; if the process dies, the lease runs out and
 * the event is due again (at least once). An attempt's end is recorded only under the claim that
 * made it, so a late finisher whose lease was taken over cannot overwrite the newer outcome.
 */
export class WebhookEventStore {
  readonly #db: Db;
  readonly #s;

  constructor(db: Db) {
    this.#db = db;
    this.#s = {
      claim: db.prepare<{ now: number; leaseUntil: number; claim: string; limit: number }, EventRow>(
        `UPDATE webhook_events SET claim = @claim, next_attempt_at = @leaseUntil, attempts = attempts + 1
         WHERE id IN (SELECT id FROM webhook_events WHERE state = 'pending' AND next_attempt_at <= @now
                      ORDER BY next_attempt_at LIMIT @limit)
         RETURNING *`,
      ),
      nextDue: db.prepare<[], { at: number | null }>(`SELECT MIN(next_attempt_at) AS at FROM webhook_events WHERE state = 'pending'`),
      attempt: db.prepare(
        `INSERT INTO webhook_attempts (event_id, attempt, at, duration_ms, status_code, error)
         VALUES (@eventId, @attempt, @at, @durationMs, @statusCode, @error)`,
      ),
      delivered: db.prepare(
        `UPDATE webhook_events SET state = 'delivered', finished_at = @now, claim = NULL, last_result = @result
         WHERE id = @id AND claim = @claim`,
      ),
      retry: db.prepare(
        `UPDATE webhook_events SET next_attempt_at = @at, claim = NULL, last_result = @result WHERE id = @id AND claim = @claim`,
      ),
      failed: db.prepare(
        `UPDATE webhook_events SET state = 'failed', finished_at = @now, claim = NULL, last_result = @result
         WHERE id = @id AND claim = @claim`,
      ),
      release: db.prepare(`UPDATE webhook_events SET next_attempt_at = @now, claim = NULL WHERE id = @id AND claim = @claim`),
      get: db.prepare<[string], EventRow>('SELECT * FROM webhook_events WHERE id = ?'),
      replay: db.prepare(
        `UPDATE webhook_events SET state = 'pending', next_attempt_at = @now, give_up_at = @giveUpAt, finished_at = NULL,
           claim = NULL, last_result = 'replay requested'
         WHERE id = @id AND NOT (state = 'pending' AND claim IS NOT NULL AND next_attempt_at > @now)`,
      ),
      attempts: db.prepare<[string], { event_id: string; attempt: number; at: number; duration_ms: number; status_code: number | null; error: string | null }>(
        'SELECT * FROM webhook_attempts WHERE event_id = ? ORDER BY id',
      ),
      prune: db.prepare<[number]>(`DELETE FROM webhook_events WHERE created_at < ? AND state <> 'pending'`),
    };
  }

  /** Claims up to `limit` due events for `leaseMs`. */
  claimDue(now: number, limit: number, leaseMs: number): ClaimedEvent[] {
    const claim = crypto.randomBytes(9).toString('base64url');
    return this.#s.claim.all({ now, leaseUntil: now + leaseMs, claim, limit }).map((r) => ({ ...fromRow(r), claim }));
  }

  /** When the next pending event falls due (leases included), or null. */
  nextDueAt(): number | null {
    return this.#s.nextDue.get()?.at ?? null;
  }

  /** Keeps the attempt and moves the event on, in one transaction; false when the claim was lost. */
  recordAttempt(event: ClaimedEvent, attempt: AttemptRecord, end: AttemptEnd, result: string): boolean {
    return this.#db.transaction(() => {
      this.#s.attempt.run(attempt);
      const key = { id: event.id, claim: event.claim, result, now: attempt.at + attempt.durationMs };
      const moved =
        end.kind === 'delivered' ? this.#s.delivered.run(key) : end.kind === 'failed' ? this.#s.failed.run(key) : this.#s.retry.run({ ...key, at: end.at });
      return moved.changes === 1;
    }).immediate();
  }

  /** Gives a claimed event back, due now (shutdown with the attempt not made). */
  release(event: ClaimedEvent, now: number): void {
    this.#s.release.run({ id: event.id, claim: event.claim, now });
  }

  get(id: string): WebhookEvent | null {
    const row = this.#s.get.get(id);
    return row ? fromRow(row) : null;
  }

  list(filter: { clientId?: string; state?: EventState; limit?: number } = {}): WebhookEvent[] {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (filter.clientId !== undefined) {
      where.push('client_id = ?');
      args.push(filter.clientId);
    }
    if (filter.state !== undefined) {
      where.push('state = ?');
      args.push(filter.state);
    }
    args.push(filter.limit ?? 100);
    const sql = `SELECT * FROM webhook_events ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC LIMIT ?`;
    return (this.#db.prepare(sql).all(...args) as EventRow[]).map(fromRow);
  }

  attempts(eventId: string): AttemptRecord[] {
    return this.#s.attempts.all(eventId).map((r) => ({
      eventId: r.event_id,
      attempt: r.attempt,
      at: r.at,
      durationMs: r.duration_ms,
      statusCode: r.status_code,
      error: r.error,
    }));
  }

  /**
   * Queues an event again, due now, retried for `retryForMs` more (same id and body: a receiver that
   * kept the id sees a duplicate). 'busy' while an attempt holds it; null when there is no such event.
   */
  replay(id: string, now: number, retryForMs: number): 'queued' | 'busy' | null {
    if (!this.#s.get.get(id)) return null;
    return this.#s.replay.run({ id, now, giveUpAt: now + retryForMs }).changes === 1 ? 'queued' : 'busy';
  }

  /** Deletes finished events created before `before` (their attempts go with them). */
  prune(before: number): number {
    return this.#s.prune.run(before).changes;
  }
}
