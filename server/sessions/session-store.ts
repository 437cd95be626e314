import type { PersonFixedBy, SessionState, VaccinationStatus } from '../../protocol/api.ts';
import { type AuditEvent, prepareAuditInsert } from '../consent/audit.ts';
import type { Db } from '../store/database.ts';
import { type SqliteWriter, sqliteWriter } from '../store/sqlite-writer.ts';
import { WebhookOutbox } from '../webhooks/outbox.ts';
import { FINAL_STATES, fromStatesSql, TRANSITIONS } from './transitions.ts';

export type SessionMode = 'widget' | 'server';

export interface Session {
  id: string;
  clientId: string;
  mode: SessionMode;
  /** Widget mode: the host page's origin (allowlisted when the session was made). */
  origin: string | null;
  purpose: string;
  nonce: string | null;
  state: SessionState;
  createdAt: number;
  expiresAt: number;
  mobileHash: Buffer | null;
  /** Keyed hash of the name's match key: with `mobileHash`, the person this session is about. */
  nameHash: Buffer | null;
  personFixedBy: PersonFixedBy | null;
  otpHash: Buffer | null;
  /** Co-WIN sessions: keyed hash of sha256(code) as hex, which their clients send instead of the code. */
  otpSha256Hash: Buffer | null;
  otpSentAt: number | null;
  otpExpiresAt: number | null;
  sends: number;
  failedAttempts: number;
  vaccinationStatus: VaccinationStatus | null;
  nameMatched: boolean | null;
  subject: string | null;
  consentTicketHash: Buffer | null;
  /** Whom the consent ticket went to: the frame (keyless), or a host backend with its API key. */
  ticketHolder: TicketHolder | null;
  /** Names the code's holder tried after a name that matched no one. */
  nameTries: number;
  token: string | null;
  tokenJti: string | null;
  completedAt: number | null;
}

export type TicketHolder = 'frame' | 'backend';

/** What a name that matched someone on the session's mobile re-keys the session to. */
export interface CorrectedPerson {
  nameHash: Buffer;
  vaccinationStatus: VaccinationStatus;
  subject: string;
}

export type NewSession = Pick<Session, 'id' | 'clientId' | 'mode' | 'origin' | 'purpose' | 'nonce' | 'createdAt' | 'expiresAt'>;

/** The transitions that end in a token. */
export type DisclosingTransition = 'allow' | 'consent_with_code';

/** Live sessions run out; ended ones keep their outcome. */
export function isExpired(session: Pick<Session, 'expiresAt' | 'state'>, now: number): boolean {
  return now >= session.expiresAt && !FINAL_STATES.includes(session.state);
}

export interface OtpIssue {
  mobileHash: Buffer;
  nameHash: Buffer;
  otpHash: Buffer;
  /** Co-WIN sessions only (server/sessions/steps/code-digest.ts); otherwise none is stored. */
  otpSha256Hash?: Buffer | null;
  sentAt: number;
  otpExpiresAt: number;
  vaccinationStatus: VaccinationStatus;
  nameMatched: boolean;
  subject: string;
}

/**
 * Session persistence. Every state change is a compare-and-set on the states the transitions table
 * allows it from, so two processes (or two concurrent requests) can never both move one session
 * forward: at most one verify succeeds, at most one token is issued, at most one decision stands.
 */
export interface SessionStore {
  create(session: NewSession): Promise<void>;
  /**
   * Creates a session whose first code is already sent (server-to-server with the person given),
   * its person fixed by the backend: one write.
   */
  createWithOtp(session: NewSession, otp: OtpIssue): Promise<void>;
  get(id: string): Promise<Session | null>;
  /**
   * Stores a (re)sent OTP if the session still has had exactly `previousSends` sends and is about
   * no one else: the first code fixes the person (by the citizen), a resend must be for the same one.
   */
  recordOtpSent(id: string, previousSends: number, otp: OtpIssue): Promise<boolean>;
  /** Counts a wrong OTP; locks the session at `maxAttempts`. Null if the session was not awaiting an OTP. */
  recordWrongOtp(id: string, maxAttempts: number): Promise<{ failedAttempts: number; state: SessionState } | null>;
  /** otp_sent → verified, only while the stored OTP is still the one that was checked. */
  markVerified(id: string, otpHash: Buffer, consentTicketHash: Buffer, holder: TicketHolder): Promise<boolean>;
  /**
   * verified → verified: one more name tried by the frame's holder of the code on a session whose
   * name matched no one, fixed by the citizen, while it has had exactly `previousTries` (fewer than
   * `maxTries`). A match (`person`) re-keys the session to that person; a miss only counts.
   */
  recordNameTry(id: string, previousTries: number, maxTries: number, person: CorrectedPerson | null): Promise<boolean>;
  /**
   * → completed with the token and its `allow` audit record, in one transaction. From `otp_sent`
   * (consent_with_code) only while the stored code is still `otpHash`, the one just checked.
   */
  complete(
    id: string,
    transition: DisclosingTransition,
    otpHash: Buffer | null,
    token: { token: string; jti: string },
    audit: AuditEvent,
  ): Promise<boolean>;
  /** verified → denied with its audit record, in one transaction. */
  deny(id: string, audit: AuditEvent): Promise<boolean>;
  /** Removes finished and expired sessions older than `before`; audit records stay. */
  prune(before: number): Promise<number>;
}

/** A session as SQLite stores it (and RedisSessionStore reads its hash into): column names, 0/1 for booleans. */
export interface SessionRow {
  id: string;
  client_id: string;
  mode: SessionMode;
  origin: string | null;
  purpose: string;
  nonce: string | null;
  state: SessionState;
  created_at: number;
  expires_at: number;
  mobile_hash: Buffer | null;
  name_hash: Buffer | null;
  person_fixed_by: PersonFixedBy | null;
  otp_hash: Buffer | null;
  otp_sha256_hash: Buffer | null;
  otp_sent_at: number | null;
  otp_expires_at: number | null;
  sends: number;
  failed_attempts: number;
  vaccination_status: VaccinationStatus | null;
  name_matched: number | null;
  subject: string | null;
  consent_ticket_hash: Buffer | null;
  ticket_holder: TicketHolder | null;
  name_tries: number;
  token: string | null;
  token_jti: string | null;
  completed_at: number | null;
}

/**
 * SessionRow's columns in the order the session read selects them. That read is on every request
 * of a session, and better-sqlite3 returns it as an array ("raw") faster than as an object with 27
 * named properties (in the flows bench: 23–31 µs a read against 31–50 µs).
 */
const SESSION_COLUMNS = [
  'id', 'client_id', 'mode', 'origin', 'purpose', 'nonce', 'state', 'created_at', 'expires_at',
  'mobile_hash', 'name_hash', 'person_fixed_by', 'otp_hash', 'otp_sha256_hash', 'otp_sent_at',
  'otp_expires_at', 'sends', 'failed_attempts', 'vaccination_status', 'name_matched', 'subject',
  'consent_ticket_hash', 'ticket_holder', 'name_tries', 'token', 'token_jti', 'completed_at',
] as const satisfies readonly (keyof SessionRow)[];

/** Values of `Columns` in their order (a generic, so the mapped type stays a tuple). */
type RowValues<Columns extends readonly (keyof SessionRow)[]> = { -readonly [I in keyof Columns]: SessionRow[Columns[I] & keyof SessionRow] };

/** A session row as its values, in SESSION_COLUMNS' order. */
type SessionValues = RowValues<typeof SESSION_COLUMNS>;

/**
 * The session a row's values describe. Session's type makes every field named here; that each name
 * sits at its column's position is for the store contract tests to catch (two columns of one type
 * swapped fail them).
 */
function sessionFromValues(values: SessionValues): Session {
  const [
    id, clientId, mode, origin, purpose, nonce, state, createdAt, expiresAt,
    mobileHash, nameHash, personFixedBy, otpHash, otpSha256Hash, otpSentAt,
    otpExpiresAt, sends, failedAttempts, vaccinationStatus, nameMatched, subject,
    consentTicketHash, ticketHolder, nameTries, token, tokenJti, completedAt,
  ] = values;
  return {
    id, clientId, mode, origin, purpose, nonce, state, createdAt, expiresAt,
    mobileHash, nameHash, personFixedBy, otpHash, otpSha256Hash, otpSentAt,
    otpExpiresAt, sends, failedAttempts, vaccinationStatus, nameMatched: nameMatched === null ? null : nameMatched === 1, subject,
    consentTicketHash, ticketHolder, nameTries, token, tokenJti, completedAt,
  };
}

/** The session a SessionRow describes: the Redis store reads its hash as one. */
export function sessionFromRow(row: SessionRow): Session {
  // map() cannot type a tuple: the values are SESSION_COLUMNS' own, in its order.
  return sessionFromValues(SESSION_COLUMNS.map((column) => row[column]) as unknown as SessionValues);
}

export class SqliteSessionStore implements SessionStore {
  readonly #db: Db;
  /** Writes that wait for other processes' write lock without blocking the event loop. */
  readonly #writer: SqliteWriter;
  readonly #insertAudit: (e: AuditEvent) => void;
  /** Session events for clients with a webhook, written in the transaction of the state change. */
  readonly #webhooks: WebhookOutbox;
  readonly #statements;
  /** Each state change with its audit record and webhook event: made once, run per request. */
  readonly #transactions;

  constructor(db: Db, webhooks: WebhookOutbox = new WebhookOutbox(db)) {
    this.#db = db;
    this.#writer = sqliteWriter(db);
    this.#insertAudit = prepareAuditInsert(db);
    this.#webhooks = webhooks;
    this.#statements = {
      insert: db.prepare(
        `INSERT INTO sessions (id, client_id, mode, origin, purpose, nonce, state, created_at, expires_at)
         VALUES (@id, @clientId, @mode, @origin, @purpose, @nonce, 'created', @createdAt, @expiresAt)`,
      ),
      insertWithOtp: db.prepare(
        `INSERT INTO sessions (id, client_id, mode, origin, purpose, nonce, state, created_at, expires_at, sends,
           mobile_hash, name_hash, person_fixed_by, otp_hash, otp_sha256_hash, otp_sent_at, otp_expires_at, vaccination_status, name_matched, subject)
         VALUES (@id, @clientId, @mode, @origin, @purpose, @nonce, '${TRANSITIONS.send_code.to}', @createdAt, @expiresAt, 1,
           @mobileHash, @nameHash, 'backend', @otpHash, @otpSha256Hash, @sentAt, @otpExpiresAt, @vaccinationStatus, @nameMatched, @subject)`,
      ),
      get: db.prepare<[string], SessionValues>(`SELECT ${SESSION_COLUMNS.join(', ')} FROM sessions WHERE id = ?`).raw(),
      otpSent: db.prepare(
        `UPDATE sessions SET state = '${TRANSITIONS.send_code.to}', sends = sends + 1, mobile_hash = @mobileHash,
           name_hash = @nameHash, person_fixed_by = COALESCE(person_fixed_by, 'citizen'), otp_hash = @otpHash, otp_sha256_hash = @otpSha256Hash,
           otp_sent_at = @sentAt, otp_expires_at = @otpExpiresAt, vaccination_status = @vaccinationStatus,
           name_matched = @nameMatched, subject = @subject
         WHERE id = @id AND state IN (${fromStatesSql('send_code')}) AND sends = @previousSends
           AND (mobile_hash IS NULL OR (mobile_hash = @mobileHash AND name_hash = @nameHash))`,
      ),
      wrongOtp: db.prepare<[number, number, number, string], { failed_attempts: number; state: SessionState }>(
        `UPDATE sessions SET failed_attempts = failed_attempts + 1,
           state = CASE WHEN failed_attempts + 1 >= ? THEN 'locked' ELSE state END,
           otp_hash = CASE WHEN failed_attempts + 1 >= ? THEN NULL ELSE otp_hash END,
           otp_sha256_hash = CASE WHEN failed_attempts + 1 >= ? THEN NULL ELSE otp_sha256_hash END
         WHERE id = ? AND state IN (${fromStatesSql('wrong_code')}) RETURNING failed_attempts, state`,
      ),
      verified: db.prepare(
        `UPDATE sessions SET state = '${TRANSITIONS.verify_code.to}', otp_hash = NULL, otp_sha256_hash = NULL, consent_ticket_hash = ?, ticket_holder = ?
         WHERE id = ? AND state IN (${fromStatesSql('verify_code')}) AND otp_hash = ?`,
      ),
      // A miss passes NULLs and keeps the person; a match replaces name, status and pseudonym together.
      nameTry: db.prepare(
        `UPDATE sessions SET state = '${TRANSITIONS.correct_name.to}', name_tries = name_tries + 1, name_matched = @nameMatched,
           name_hash = COALESCE(@nameHash, name_hash), vaccination_status = COALESCE(@vaccinationStatus, vaccination_status),
           subject = COALESCE(@subject, subject)
         WHERE id = @id AND state IN (${fromStatesSql('correct_name')}) AND name_tries = @previousTries AND name_tries < @maxTries
           AND name_matched = 0 AND person_fixed_by = 'citizen' AND ticket_holder = 'frame'`,
      ),
      allow: db.prepare(
        `UPDATE sessions SET state = '${TRANSITIONS.allow.to}', token = ?, token_jti = ?, completed_at = ?
         WHERE id = ? AND state IN (${fromStatesSql('allow')})`,
      ),
      consentWithCode: db.prepare(
        `UPDATE sessions SET state = '${TRANSITIONS.consent_with_code.to}', otp_hash = NULL, otp_sha256_hash = NULL, token = ?, token_jti = ?, completed_at = ?
         WHERE id = ? AND state IN (${fromStatesSql('consent_with_code')}) AND otp_hash = ?`,
      ),
      deny: db.prepare(
        `UPDATE sessions SET state = '${TRANSITIONS.deny.to}', completed_at = ? WHERE id = ? AND state IN (${fromStatesSql('deny')})`,
      ),
      prune: db.prepare<[number]>('DELETE FROM sessions WHERE expires_at < ?'),
    };
    const statements = this.#statements;
    this.#transactions = {
      // The lock and its `session.failed` event together.
      wrongOtp: db.transaction((id: string, maxAttempts: number) => {
        const row = statements.wrongOtp.get(maxAttempts, maxAttempts, maxAttempts, id);
        const queued = row?.state === 'locked' && webhooks.enqueue('session.failed', id, Date.now(), { reason: 'otp_locked' });
        return { row, queued };
      }),
      complete: db.transaction(
        (id: string, transition: DisclosingTransition, otpHash: Buffer | null, token: { token: string; jti: string }, audit: AuditEvent) => {
          const updated =
            transition === 'allow'
              ? statements.allow.run(token.token, token.jti, audit.at, id)
              : statements.consentWithCode.run(token.token, token.jti, audit.at, id, otpHash);
          if (updated.changes !== 1) return { done: false, queued: false };
          this.#insertAudit(audit);
          return { done: true, queued: webhooks.enqueue('session.completed', id, audit.at, { token: token.token }) };
        },
      ),
      deny: db.transaction((id: string, audit: AuditEvent) => {
        if (statements.deny.run(audit.at, id).changes !== 1) return { done: false, queued: false };
        this.#insertAudit(audit);
        return { done: true, queued: webhooks.enqueue('session.denied', id, audit.at) };
      }),
    };
  }

  async create(session: NewSession): Promise<void> {
    await this.#writer.write(() => this.#statements.insert.run(session));
  }

  async createWithOtp(session: NewSession, otp: OtpIssue): Promise<void> {
    const row = { ...session, ...otp, otpSha256Hash: otp.otpSha256Hash ?? null, nameMatched: otp.nameMatched ? 1 : 0 };
    await this.#writer.write(() => this.#statements.insertWithOtp.run(row));
  }

  async get(id: string): Promise<Session | null> {
    const values = this.#statements.get.get(id);
    return values ? sessionFromValues(values) : null;
  }

  async recordOtpSent(id: string, previousSends: number, otp: OtpIssue): Promise<boolean> {
    const row = { id, previousSends, ...otp, otpSha256Hash: otp.otpSha256Hash ?? null, nameMatched: otp.nameMatched ? 1 : 0 };
    const result = await this.#writer.write(() => this.#statements.otpSent.run(row));
    return result.changes === 1;
  }

  async recordWrongOtp(id: string, maxAttempts: number): Promise<{ failedAttempts: number; state: SessionState } | null> {
    const { row, queued } = await this.#writer.write(() => this.#transactions.wrongOtp.immediate(id, maxAttempts));
    if (queued) this.#webhooks.wake();
    return row ? { failedAttempts: row.failed_attempts, state: row.state } : null;
  }

  async markVerified(id: string, otpHash: Buffer, consentTicketHash: Buffer, holder: TicketHolder): Promise<boolean> {
    return (await this.#writer.write(() => this.#statements.verified.run(consentTicketHash, holder, id, otpHash))).changes === 1;
  }

  async recordNameTry(id: string, previousTries: number, maxTries: number, person: CorrectedPerson | null): Promise<boolean> {
    const row = {
      id,
      previousTries,
      maxTries,
      nameMatched: person ? 1 : 0,
      nameHash: person?.nameHash ?? null,
      vaccinationStatus: person?.vaccinationStatus ?? null,
      subject: person?.subject ?? null,
    };
    const result = await this.#writer.write(() => this.#statements.nameTry.run(row));
    return result.changes === 1;
  }

  async complete(
    id: string,
    transition: DisclosingTransition,
    otpHash: Buffer | null,
    token: { token: string; jti: string },
    audit: AuditEvent,
  ): Promise<boolean> {
    const { done, queued } = await this.#writer.write(() => this.#transactions.complete.immediate(id, transition, otpHash, token, audit));
    if (queued) this.#webhooks.wake();
    return done;
  }

  async deny(id: string, audit: AuditEvent): Promise<boolean> {
    const { done, queued } = await this.#writer.write(() => this.#transactions.deny.immediate(id, audit));
    if (queued) this.#webhooks.wake();
    return done;
  }

  async prune(before: number): Promise<number> {
    return (await this.#writer.write(() => this.#statements.prune.run(before))).changes;
  }
}
