import { TRANSITIONS } from '../sessions/transitions.ts';
import type { Db } from '../store/database.ts';
import { type SqliteWriter, sqliteWriter } from '../store/sqlite-writer.ts';
import type { ExpirySweep } from './dispatcher.ts';
import type { WebhookOutbox } from './outbox.ts';

/** States a session can still move on from (any transition starts there): expiry ends them. */
const LIVE_STATES = [...new Set(Object.values(TRANSITIONS).flatMap((t) => t.from as readonly string[]))];
const LIVE_SQL = LIVE_STATES.map((s) => `'${s}'`).join(', ');

/** Without finds, the shared watermark is still moved on at least this often (one small write). */
const ADVANCE_EVERY_MS = 60_000;

/**
 * Finds sessions of clients with a webhook that ran out of time without a decision, and ends each
 * with a compare-and-set to `expired` and its `session.expired` event in one transaction: a Share
 * racing the sweep either completes first (then the sweep skips it) or finds the session expired
 * (then no token is issued) — never both a `completed` and an `expired` event.
 *
 * Efficient at scale: it reads only the slice of the `expires_at` index (`sessions_by_expiry`) that
 * expired since the last sweep — a watermark in `webhook_sweep` shared by every process on the
 * database — so no sweep rereads a day of sessions. A session's `expires_at` is its creation time
 * plus the session lifetime, always ahead of `now - grace` when it is written, so nothing can land
 * behind the watermark. Sessions of clients without a webhook are left as they are (their state
 * reads `expired` by time, as before).
 */
export class ExpirySweeper implements ExpirySweep {
  readonly #db: Db;
  readonly #outbox: WebhookOutbox;
  readonly #graceMs: number;
  readonly #batch: number;
  readonly #s;
  /** Writes that wait for other processes' write lock without blocking the event loop. */
  readonly #writer: SqliteWriter;

  constructor(db: Db, outbox: WebhookOutbox, graceMs: number, batch = 500) {
    this.#db = db;
    this.#writer = sqliteWriter(db);
    this.#outbox = outbox;
    this.#graceMs = graceMs;
    this.#batch = batch;
    this.#s = {
      watermark: db.prepare<[], { swept_to: number }>('SELECT swept_to FROM webhook_sweep WHERE id = 1'),
      due: db.prepare<{ from: number; to: number; limit: number }, { id: string; expires_at: number }>(
        `SELECT s.id, s.expires_at FROM sessions s JOIN clients c ON c.id = s.client_id
         WHERE s.expires_at >= @from AND s.expires_at <= @to AND s.state IN (${LIVE_SQL}) AND c.webhook_url IS NOT NULL
         ORDER BY s.expires_at LIMIT @limit`,
      ),
      expire: db.prepare<{ id: string; to: number }>(
        `UPDATE sessions SET state = 'expired' WHERE id = @id AND state IN (${LIVE_SQL}) AND expires_at <= @to`,
      ),
      advance: db.prepare<{ from: number; to: number }>('UPDATE webhook_sweep SET swept_to = @to WHERE id = 1 AND swept_to = @from'),
    };
  }

  /** One sweep; returns how many sessions it ended (each with its event). */
  async sweep(now: number): Promise<number> {
    const to = now - this.#graceMs;
    const from = this.#s.watermark.get()?.swept_to ?? to;
    if (to <= from) return 0;
    // A read first: most sweeps find nothing and need no write lock.
    if (this.#s.due.all({ from, to, limit: 1 }).length === 0) {
      if (to - from >= ADVANCE_EVERY_MS) await this.#writer.write(() => this.#s.advance.run({ from, to }));
      return 0;
    }
    let ended = 0;
    const write = this.#db.transaction(() => {
      const start = this.#s.watermark.get()?.swept_to ?? from;
      const due = this.#s.due.all({ from: start, to, limit: this.#batch });
      for (const session of due) {
        if (this.#s.expire.run({ id: session.id, to }).changes !== 1) continue;
        this.#outbox.enqueue('session.expired', session.id, session.expires_at);
        ended++;
      }
      // A full batch stops at its last row (more may share that instant: `>=` takes them next time).
      const reached = due.length === this.#batch ? due[due.length - 1]!.expires_at : to;
      if (reached > start) this.#s.advance.run({ from: start, to: reached });
    });
    await this.#writer.write(() => write.immediate());
    if (ended > 0) this.#outbox.wake();
    return ended;
  }
}
