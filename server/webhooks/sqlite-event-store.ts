import type { Db } from '../store/database.ts';
import { type SqliteWriter, sqliteWriter } from '../store/sqlite-writer.ts';
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

/**
 * The outbox on the SQLite file. Every process on the data dir shares it: the claim is one UPDATE
 * (SQLite runs one writer at a time), so two dispatchers never claim the same event. The methods are
 * synchronous underneath; they answer promises to fit the store interface.
 */
export class SqliteWebhookEventStore implements WebhookEventStore {
  readonly #db: Db;
  readonly #s;
  /** Writes that wait for other processes' write lock without blocking the event loop. */
  readonly #writer: SqliteWriter;

  constructor(db: Db) {
    this.#db = db;
    this.#writer = sqliteWriter(db);
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
      settle: db.prepare<{ id: string; claim: string; state: string; finishedAt: number | null; nextAttemptAt: number | null; result: string }>(
        `UPDATE webhook_events SET state = @state, finished_at = @finishedAt, next_attempt_at = COALESCE(@nextAttemptAt, next_attempt_at),
           claim = NULL, last_result = @result
         WHERE id = @id AND claim = @claim`,
      ),
      release: db.prepare(`UPDATE webhook_events SET next_attempt_at = @now, claim = NULL WHERE id = @id AND claim = @claim`),
      get: db.prepare<[string], EventRow>('SELECT * FROM webhook_events WHERE id = ?'),
      replay: db.prepare(
        `UPDATE webhook_events SET state = 'pending', next_attempt_at = @now, give_up_at = @giveUpAt, finished_at = NULL,
           claim = NULL, last_result = 'replay requested'
         WHERE id = @id AND NOT (${replayBusySql('@now')})`,
      ),
      attempts: db.prepare<[string], AttemptRow>('SELECT * FROM webhook_attempts WHERE event_id = ? ORDER BY id'),
      prune: db.prepare<[number]>(`DELETE FROM webhook_events WHERE created_at < ? AND state <> 'pending'`),
    };
  }

  async claimDue(now: number, limit: number, leaseMs: number): Promise<ClaimedEvent[]> {
    const claim = newClaim();
    const rows = await this.#writer.write(() => this.#s.claim.all({ now, leaseUntil: now + leaseMs, claim, limit }));
    return rows.map((r) => ({ ...eventFromRow(r), claim }));
  }

  async nextDueAt(): Promise<number | null> {
    return this.#s.nextDue.get()?.at ?? null;
  }

  async recordAttempt(event: ClaimedEvent, attempt: AttemptRecord, end: AttemptEnd, result: string): Promise<boolean> {
    const settled = settledColumns(end, attempt.at + attempt.durationMs);
    const write = this.#db.transaction(() => {
      this.#s.attempt.run(attempt);
      return this.#s.settle.run({ id: event.id, claim: event.claim, result, ...settled }).changes === 1;
    });
    return this.#writer.write(() => write.immediate());
  }

  async release(event: ClaimedEvent, now: number): Promise<void> {
    await this.#writer.write(() => this.#s.release.run({ id: event.id, claim: event.claim, now }));
  }

  async get(id: string): Promise<WebhookEvent | null> {
    const row = this.#s.get.get(id);
    return row ? eventFromRow(row) : null;
  }

  async list(filter: EventFilter = {}): Promise<WebhookEvent[]> {
    const { sql, args } = listQuery(filter, () => '?');
    return (this.#db.prepare(sql).all(...args) as EventRow[]).map(eventFromRow);
  }

  async attempts(eventId: string): Promise<AttemptRecord[]> {
    return this.#s.attempts.all(eventId).map(attemptFromRow);
  }

  async replay(id: string, now: number, retryForMs: number): Promise<'queued' | 'busy' | null> {
    if (!this.#s.get.get(id)) return null;
    return (await this.#writer.write(() => this.#s.replay.run({ id, now, giveUpAt: now + retryForMs }))).changes === 1 ? 'queued' : 'busy';
  }

  async prune(before: number): Promise<number> {
    return (await this.#writer.write(() => this.#s.prune.run(before))).changes;
  }
}
