import { type Pool, prepared, query, retryingConflicts } from '../store/postgres/pool.ts';
import type { WebhookEventRow } from '../webhooks/outbox.ts';
import { type AuditEntry, type AuditEvent, type AuditLog, type AuditRow, auditEntryFromRow, auditFromRow } from './audit.ts';

/**
 * The session already has its decision or its one terminal event in PostgreSQL: what PostgreSQL
 * holds is the session's (kycvs_record_decision raised KV409, and wrote nothing).
 */
export class DecisionTaken extends Error {
  constructor(options?: ErrorOptions) {
    super('The session already has its decision in PostgreSQL', options);
    this.name = 'DecisionTaken';
  }
}

const DECISION_TAKEN_SQLSTATE = 'KV409';

const RECORD_DECISION = prepared('record_decision', 'SELECT kycvs_record_decision($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) AS written');

/** What the decision's webhook event adds to its audit record: its session, client and time are the record's. */
export type DecisionEvent = Pick<WebhookEventRow, 'id' | 'type' | 'payload' | 'giveUpAt'>;

/**
 * Makes a decision durable in one round trip (migration 003): the audit record and, when `e`'s
 * client has a webhook, `event` for the same session and client, created at the decision's time,
 * both or neither. `UNIQUE (session_id)` on both tables is the durable compare-and-set
 * (docs/scaling.md §4): of two racing decisions — two processes, or a session Redis lost or
 * replayed — or a decision racing the session's expiry, one commits; the other gets
 * DecisionTaken. True when the event was written. The rule "one event per session, only for a
 * client with a webhook" is also PostgresWebhookOutbox's ENQUEUE: change both together.
 */
export async function recordDecision(pool: Pool, e: AuditEvent, event: DecisionEvent): Promise<boolean> {
  const values = [e.sessionId, e.at, e.clientId, e.purpose, e.event, e.vaccinationStatus, e.subject, e.tokenJti, event.id, event.type, event.payload, event.giveUpAt];
  try {
    const { rows } = await retryingConflicts(() => query<{ written: boolean }>(pool, RECORD_DECISION, values));
    return rows[0]!.written;
  } catch (err) {
    if ((err as { code?: unknown }).code === DECISION_TAKEN_SQLSTATE) throw new DecisionTaken({ cause: err });
    throw err;
  }
}

const COLUMNS = 'id, at, client_id, session_id, purpose, event, vaccination_status, subject, token_jti';

/** The audit trail in PostgreSQL: the same answers as SqliteAuditLog. */
export class PostgresAuditLog implements AuditLog {
  readonly #pool: Pool;

  constructor(pool: Pool) {
    this.#pool = pool;
  }

  async forSession(sessionId: string): Promise<AuditEvent[]> {
    const { rows } = await query<AuditRow>(this.#pool, `SELECT ${COLUMNS} FROM audit_events WHERE session_id = $1 ORDER BY id`, [sessionId]);
    return rows.map(auditFromRow);
  }

  async forSubjects(subjects: readonly string[], limit: number, before?: { at: number; id: number }): Promise<AuditEntry[]> {
    // One array parameter for any number of subjects; each is looked up by audit_by_subject.
    const { rows } = await query<AuditRow>(
      this.#pool,
      `SELECT ${COLUMNS} FROM audit_events WHERE subject = ANY ($1::text[])
         AND ($2::bigint IS NULL OR at < $2 OR (at = $2 AND id < $3::bigint))
       ORDER BY at DESC, id DESC LIMIT $4`,
      [subjects, before?.at ?? null, before?.id ?? null, limit],
    );
    return rows.map(auditEntryFromRow);
  }

  async count(): Promise<number> {
    const { rows } = await query<{ n: number }>(this.#pool, 'SELECT count(*)::bigint AS n FROM audit_events');
    return rows[0]!.n;
  }
}
