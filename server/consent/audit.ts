import type { VaccinationStatus } from '../../protocol/api.ts';
import type { Db } from '../store/database.ts';

/** One share or refusal: who asked, for what, what the citizen decided, when. */
export interface AuditEvent {
  at: number;
  clientId: string;
  sessionId: string;
  purpose: string;
  event: 'allow' | 'deny';
  vaccinationStatus: VaccinationStatus | null;
  subject: string | null;
  tokenJti: string | null;
}

/** An audit record with its row id: (at, id) orders a person's history and pages it. */
export interface AuditEntry extends AuditEvent {
  id: number;
}

/** Reads the audit trail; writes happen inside the session store's state changes, in the same transaction. */
export interface AuditLog {
  forSession(sessionId: string): Promise<AuditEvent[]>;
  /**
   * Records about any of `subjects` (a person's pairwise subjects at every client), newest first,
   * at most `limit`, strictly before `before` when given: the citizen's own history (server/me/).
   */
  forSubjects(subjects: readonly string[], limit: number, before?: { at: number; id: number }): Promise<AuditEntry[]>;
  count(): Promise<number>;
}

/** An audit record as both stores return it (column names). */
export interface AuditRow {
  id: number;
  at: number;
  client_id: string;
  session_id: string;
  purpose: string;
  event: 'allow' | 'deny';
  vaccination_status: VaccinationStatus | null;
  subject: string | null;
  token_jti: string | null;
}

/** A writer for audit events, to be called inside the transaction of the state change it records. */
export function prepareAuditInsert(db: Db): (e: AuditEvent) => void {
  const insert = db.prepare(
    `INSERT INTO audit_events (at, client_id, session_id, purpose, event, vaccination_status, subject, token_jti)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  return (e) => insert.run(e.at, e.clientId, e.sessionId, e.purpose, e.event, e.vaccinationStatus, e.subject, e.tokenJti);
}

export function auditFromRow(r: Omit<AuditRow, 'id'>): AuditEvent {
  return {
    at: r.at,
    clientId: r.client_id,
    sessionId: r.session_id,
    purpose: r.purpose,
    event: r.event,
    vaccinationStatus: r.vaccination_status,
    subject: r.subject,
    tokenJti: r.token_jti,
  };
}

export function auditEntryFromRow(r: AuditRow): AuditEntry {
  return { id: r.id, ...auditFromRow(r) };
}

export class SqliteAuditLog implements AuditLog {
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }

  async forSession(sessionId: string): Promise<AuditEvent[]> {
    const rows = this.#db.prepare('SELECT * FROM audit_events WHERE session_id = ? ORDER BY id').all(sessionId) as AuditRow[];
    return rows.map(auditFromRow);
  }

  async forSubjects(subjects: readonly string[], limit: number, before?: { at: number; id: number }): Promise<AuditEntry[]> {
    // The subjects go in as one JSON array (any number of clients), each looked up by audit_by_subject.
    const rows = this.#db
      .prepare(
        `SELECT * FROM audit_events WHERE subject IN (SELECT value FROM json_each(?))
           AND (? IS NULL OR at < ? OR (at = ? AND id < ?))
         ORDER BY at DESC, id DESC LIMIT ?`,
      )
      .all(JSON.stringify(subjects), before?.at ?? null, before?.at ?? null, before?.at ?? null, before?.id ?? null, limit) as AuditRow[];
    return rows.map(auditEntryFromRow);
  }

  async count(): Promise<number> {
    return (this.#db.prepare('SELECT count(*) AS n FROM audit_events').get() as { n: number }).n;
  }
}
