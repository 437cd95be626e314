import { type Pool, inTransaction, query } from '../store/postgres/pool.ts';
import {
  type AttemptEnd,
  type AttemptRecord,
  type AttemptRow,
  type ClaimedEvent,
  type EventFilter,
  type EventRow,
  type WebhookEvent,
  type WebhookEventStore,
  attemptFromRow,
  eventFromRow,
  listQuery,
  newClaim,
  replayBusySql,
  settledColumns,
} from './event-store.ts';

/** Finished events deleted per statement: a week of them at once would outlast statement_timeout. */
const PRUNE_BATCH = 1000;

/**
 * The outbox on PostgreSQL, shared by any number of service processes. The claim is one statement:
 * the due rows are picked `FOR UPDATE SKIP LOCKED` (a row another process is claiming or recording
 * right now is skipped, not waited for) and stamped in the same statement, so each event goes to one
 * claimant; a row whose claim committed is no longer due (its `next_attempt_at` is the lease's end),
 * which READ COMMITTED re-checks on the row's newest version. Everything after the claim names the
 * event's `session_id`, the table's key and shard (docs/scaling.md §2): only the claim's "due" scan,
 * `nextDueAt`, `list`, `get`/`replay` by public id and `prune` read all shards, none on the request path.
 */
export class PostgresWebhookEventStore implements WebhookEventStore {
  readonly #pool: Pool;

  constructor(pool: Pool) {
    this.#pool = pool;
  }

  async claimDue(now: number, limit: number, leaseMs: number): Promise<ClaimedEvent[]> {
    const claim = newClaim();
    const { rows } = await query<EventRow>(
      this.#pool,
      `UPDATE webhook_events e SET claim = $1, next_attempt_at = $2, attempts = e.attempts + 1
         FROM (SELECT session_id FROM webhook_events
                WHERE state = 'pending' AND next_attempt_at <= $3
                ORDER BY next_attempt_at LIMIT $4
                FOR UPDATE SKIP LOCKED) due
        WHERE e.session_id = due.session_id
        RETURNING e.*`,
      [claim, now + leaseMs, now, limit],
    );
    return rows.map((r) => ({ ...eventFromRow(r), claim }));
  }

  async nextDueAt(): Promise<number | null> {
    const { rows } = await query<{ at: number | null }>(this.#pool, `SELECT MIN(next_attempt_at) AS at FROM webhook_events WHERE state = 'pending'`);
    return rows[0]?.at ?? null;
  }

  async recordAttempt(event: ClaimedEvent, attempt: AttemptRecord, end: AttemptEnd, result: string): Promise<boolean> {
    const settled = settledColumns(end, attempt.at + attempt.durationMs);
    return inTransaction(this.#pool, async (client) => {
      const moved = await client.query(
        `UPDATE webhook_events SET state = $3, finished_at = $4, next_attempt_at = COALESCE($5, next_attempt_at),
           claim = NULL, last_result = $6
         WHERE session_id = $1 AND claim = $2`,
        [event.sessionId, event.claim, settled.state, settled.finishedAt, settled.nextAttemptAt, result],
      );
      // Kept even when the claim was lost: the receiver did get (or was tried with) this attempt.
      await client.query(
        `INSERT INTO webhook_attempts (session_id, event_id, attempt, at, duration_ms, status_code, error)
         VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [event.sessionId, attempt.eventId, attempt.attempt, attempt.at, attempt.durationMs, attempt.statusCode, attempt.error],
      );
      return moved.rowCount === 1;
    });
  }

  async release(event: ClaimedEvent, now: number): Promise<void> {
    await query(this.#pool, `UPDATE webhook_events SET next_attempt_at = $3, claim = NULL WHERE session_id = $1 AND claim = $2`, [
      event.sessionId,
      event.claim,
      now,
    ]);
  }

  async get(id: string): Promise<WebhookEvent | null> {
    const { rows } = await query<EventRow>(this.#pool, 'SELECT * FROM webhook_events WHERE id = $1', [id]);
    return rows[0] ? eventFromRow(rows[0]) : null;
  }

  async list(filter: EventFilter = {}): Promise<WebhookEvent[]> {
    const { sql, args } = listQuery(filter, (i) => `$${i}`);
    const { rows } = await query<EventRow>(this.#pool, sql, args);
    return rows.map(eventFromRow);
  }

  async attempts(eventId: string): Promise<AttemptRecord[]> {
    // Joined on session_id as well: the attempts are read on their event's shard.
    const { rows } = await query<AttemptRow>(
      this.#pool,
      `SELECT a.* FROM webhook_events e JOIN webhook_attempts a ON a.session_id = e.session_id AND a.event_id = e.id
        WHERE e.id = $1 ORDER BY a.id`,
      [eventId],
    );
    return rows.map(attemptFromRow);
  }

  async replay(id: string, now: number, retryForMs: number): Promise<'queued' | 'busy' | null> {
    const event = await this.get(id);
    if (!event) return null;
    const { rowCount } = await query(
      this.#pool,
      `UPDATE webhook_events SET state = 'pending', next_attempt_at = $3, give_up_at = $4, finished_at = NULL,
         claim = NULL, last_result = 'replay requested'
       WHERE session_id = $1 AND id = $2 AND NOT (${replayBusySql('$3')})`,
      [event.sessionId, id, now, now + retryForMs],
    );
    return rowCount === 1 ? 'queued' : 'busy';
  }

  async prune(before: number): Promise<number> {
    let total = 0;
    for (;;) {
      // The outer conditions are re-checked on a row replayed meanwhile, which then stays.
      const { rowCount } = await query(
        this.#pool,
        `DELETE FROM webhook_events
          WHERE session_id IN (SELECT session_id FROM webhook_events WHERE created_at < $1 AND state <> 'pending' LIMIT $2)
            AND created_at < $1 AND state <> 'pending'`,
        [before, PRUNE_BATCH],
      );
      total += rowCount ?? 0;
      if ((rowCount ?? 0) < PRUNE_BATCH) return total;
    }
  }
}
