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

/** Reads the audit trail; writes happen inside the session store's state changes, in the same transaction. */
export interface AuditLog {
  forSession(sessionId: string): Promise<AuditEvent[]>;
  count(): Promise<number>;
}

interface AuditRow {
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

export class SqliteAuditLog implements AuditLog {
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }

  async forSession(sessionId: string): Promise<AuditEvent[]> {
    const rows = this.#db.prepare('SELECT * FROM audit_events WHERE session_id = ? ORDER BY id').all(sessionId) as AuditRow[];
    return rows.map((r) => ({
      at: r.at,
      clientId: r.client_id,
      sessionId: r.session_id,
      purpose: r.purpose,
      event: r.event,
      vaccinationStatus: r.vaccination_status,
      subject: r.subject,
      tokenJti: r.token_jti,
    }));
  }

  async count(): Promise<number> {
    return (this.#db.prepare('SELECT count(*) AS n FROM audit_events').get() as { n: number }).n;
  }
}
