import { type Pool, type PoolClient, prepared, query, statement } from '../store/postgres/pool.ts';
import { type AuditEntry, type AuditEvent, type AuditLog, type AuditRow, auditEntryFromRow, auditFromRow } from './audit.ts';

const INSERT_AUDIT = prepared(
  'audit_insert',
  `INSERT INTO audit_events (session_id, at, client_id, purpose, event, vaccination_status, subject, token_jti)
   VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (session_id) DO NOTHING`,
);

/**
 * Writes `e` inside the caller's PostgreSQL transaction, unless its session already has a record:
 * `UNIQUE (session_id)` is the durable compare-and-set of the decision (docs/scaling.md §4), so of
 * two racing decisions — two processes, or a session Redis lost or replayed — one commits. True
 * when this one was written.
 */
export async function insertAuditRecord(client: PoolClient, e: AuditEvent): Promise<boolean> {
  const result = await client.query(
    statement(INSERT_AUDIT, [e.sessionId, e.at, e.clientId, e.purpose, e.event, e.vaccinationStatus, e.subject, e.tokenJti]),
  );
  return result.rowCount === 1;
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
