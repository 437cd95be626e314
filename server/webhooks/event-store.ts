// The outbox's rows and their attempts, as the dispatcher and the `webhooks` CLI see them: one
// interface, implemented on SQLite (sqlite-event-store.ts) and PostgreSQL (postgres-event-store.ts).
// What both implementations share (row mapping, the claim token, how an attempt's end moves the
// row, the list query) lives here, so the two cannot drift apart.
import crypto from 'node:crypto';
import type { WebhookEventRow, WebhookEventType } from './outbox.ts';

export type EventState = 'pending' | 'delivered' | 'failed';
export const EVENT_STATES: readonly EventState[] = ['pending', 'delivered', 'failed'];

/** An outbox row (its `payload` is the exact body sent, on every attempt) with its delivery so far. */
export interface WebhookEvent extends WebhookEventRow {
  state: EventState;
  attempts: number;
  nextAttemptAt: number;
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

/** An event this process holds a lease on: `claim` proves it when the attempt is recorded. */
export interface ClaimedEvent extends WebhookEvent {
  claim: string;
}

export type AttemptEnd =
  | { kind: 'delivered' }
  | { kind: 'retry'; at: number }
  | { kind: 'failed' };

export interface EventFilter {
  clientId?: string;
  state?: EventState;
  /** Newest first; 100 unless given. */
  limit?: number;
}

/**
 * A due event is *claimed* by one dispatcher with a lease: its `next_attempt_at` moves to the
 * lease's end and a random claim is stamped on it, so no other process (or tick) picks it while the
 * attempt runs; if the process dies, the lease runs out and the event is due again (at least once).
 * An attempt's end is recorded only under the claim that made it, so a late finisher whose lease was
 * taken over cannot overwrite the newer outcome. A delivered or failed event is never claimed again
 * (only `replay` makes it pending).
 */
export interface WebhookEventStore {
  /** Claims up to `limit` due events for `leaseMs`; each is claimed by one caller only, whatever the concurrency. */
  claimDue(now: number, limit: number, leaseMs: number): Promise<ClaimedEvent[]>;
  /** When the next pending event falls due (leases included), or null. */
  nextDueAt(): Promise<number | null>;
  /** Keeps the attempt and moves the event on, in one transaction; false when the claim was lost. */
  recordAttempt(event: ClaimedEvent, attempt: AttemptRecord, end: AttemptEnd, result: string): Promise<boolean>;
  /** Gives a claimed event back, due `now` (shutdown with the attempt not made). */
  release(event: ClaimedEvent, now: number): Promise<void>;
  get(id: string): Promise<WebhookEvent | null>;
  list(filter?: EventFilter): Promise<WebhookEvent[]>;
  /** Every attempt of one event, oldest first. */
  attempts(eventId: string): Promise<AttemptRecord[]>;
  /**
   * Queues an event again, due now, retried for `retryForMs` more (same id and body: a receiver that
   * kept the id sees a duplicate). 'busy' while an attempt holds it; null when there is no such event.
   */
  replay(id: string, now: number, retryForMs: number): Promise<'queued' | 'busy' | null>;
  /** Deletes finished events created before `before` (their attempts go with them); returns how many. */
  prune(before: number): Promise<number>;
}

/** A `webhook_events` row, as both drivers return it (bigint read as number on PostgreSQL). */
export interface EventRow {
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

export interface AttemptRow {
  event_id: string;
  attempt: number;
  at: number;
  duration_ms: number;
  status_code: number | null;
  error: string | null;
}

export const eventFromRow = (r: EventRow): WebhookEvent => ({
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

export const attemptFromRow = (r: AttemptRow): AttemptRecord => ({
  eventId: r.event_id,
  attempt: r.attempt,
  at: r.at,
  durationMs: r.duration_ms,
  statusCode: r.status_code,
  error: r.error,
});

/** A claim token: random, so a claim made by another process (or tick) never matches ours. */
export const newClaim = (): string => crypto.randomBytes(9).toString('base64url');

/**
 * What an attempt's end writes on its event (with `claim = NULL` and `last_result`): delivered and
 * failed finish it at `now`; a retry leaves it pending, due at the retry's time.
 */
export function settledColumns(end: AttemptEnd, now: number): { state: EventState; finishedAt: number | null; nextAttemptAt: number | null } {
  if (end.kind === 'retry') return { state: 'pending', finishedAt: null, nextAttemptAt: end.at };
  return { state: end.kind, finishedAt: now, nextAttemptAt: null };
}

/**
 * The condition under which `replay` leaves an event alone: an attempt holds it (claimed, lease not
 * run out). `now` is the statement's parameter for the current time.
 */
export const replayBusySql = (now: string) => `state = 'pending' AND claim IS NOT NULL AND next_attempt_at > ${now}`;

/**
 * The `list` query: newest first, filtered; `param(i)` writes the i-th (1-based) placeholder
 * (`?` for SQLite, `$i` for PostgreSQL).
 */
export function listQuery(filter: EventFilter, param: (i: number) => string): { sql: string; args: (string | number)[] } {
  const where: string[] = [];
  const args: (string | number)[] = [];
  if (filter.clientId !== undefined) {
    args.push(filter.clientId);
    where.push(`client_id = ${param(args.length)}`);
  }
  if (filter.state !== undefined) {
    args.push(filter.state);
    where.push(`state = ${param(args.length)}`);
  }
  args.push(filter.limit ?? 100);
  const sql = `SELECT * FROM webhook_events ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC LIMIT ${param(args.length)}`;
  return { sql, args };
}
