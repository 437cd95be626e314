import type { Db } from '../store/database.ts';
import { type SqliteWriter, sqliteWriter } from '../store/sqlite-writer.ts';

export type SignInState = 'code_sent' | 'signed_in' | 'locked' | 'signed_out';

/**
 * A sign-in to the citizen's own history: a code sent to a mobile, then, once the code was right,
 * a short signed-in time. Only keyed hashes: of the mobile, of the code, of the signed-in secret.
 */
export interface SignIn {
  id: string;
  mobileHash: Buffer;
  state: SignInState;
  createdAt: number;
  /** While `code_sent`: when the code phase ends; once `signed_in`: when the signed-in time ends. */
  expiresAt: number;
  otpHash: Buffer | null;
  otpSentAt: number;
  otpExpiresAt: number;
  sends: number;
  failedAttempts: number;
  secretHash: Buffer | null;
}

export interface SentCode {
  otpHash: Buffer;
  otpSentAt: number;
  otpExpiresAt: number;
}

/** A sign-in as stored: SQLite's columns, and the fields of its Redis hash (redis-sign-in-store.ts). */
export interface SignInRow {
  id: string;
  mobile_hash: Buffer;
  state: SignInState;
  created_at: number;
  expires_at: number;
  otp_hash: Buffer | null;
  otp_sent_at: number;
  otp_expires_at: number;
  sends: number;
  failed_attempts: number;
  secret_hash: Buffer | null;
}

export function signInFromRow(r: SignInRow): SignIn {
  return {
    id: r.id,
    mobileHash: r.mobile_hash,
    state: r.state,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    otpHash: r.otp_hash,
    otpSentAt: r.otp_sent_at,
    otpExpiresAt: r.otp_expires_at,
    sends: r.sends,
    failedAttempts: r.failed_attempts,
    secretHash: r.secret_hash,
  };
}

export type NewSignIn = { id: string; mobileHash: Buffer; createdAt: number; expiresAt: number } & SentCode;

/**
 * Where sign-ins live: SQLite (SqliteSignInStore) or Redis (RedisSignInStore). Every change is a
 * compare-and-set on the state it moves from, as the check's sessions are: of racing calls that
 * make the same move, one succeeds. A sign-in past its `expiresAt` may be gone (`get` gives null).
 */
export interface SignInStore {
  /** A new sign-in with its first code (state code_sent, one send). Throws if the id exists. */
  create(signIn: NewSignIn): Promise<void>;
  get(id: string): Promise<SignIn | null>;
  /** A resend, if no other send came in since `previousSends` was read. */
  recordResend(id: string, previousSends: number, code: SentCode): Promise<boolean>;
  /** Counts a wrong code; locks the sign-in at `maxAttempts`. Null if it was not awaiting a code. */
  recordWrongCode(id: string, maxAttempts: number): Promise<{ failedAttempts: number; locked: boolean } | null>;
  /** code_sent → signed_in, only while the stored code is still the one that was checked. */
  markSignedIn(id: string, otpHash: Buffer, secretHash: Buffer, expiresAt: number): Promise<boolean>;
  /** signed_in → signed_out (nothing otherwise). */
  signOut(id: string): Promise<void>;
}

/** Sign-ins in SQLite (table me_sign_ins). */
export class SqliteSignInStore implements SignInStore {
  readonly #statements;
  /** Writes that wait for other processes' write lock without blocking the event loop. */
  readonly #writer: SqliteWriter;

  constructor(db: Db) {
    this.#writer = sqliteWriter(db);
    this.#statements = {
      prune: db.prepare<[number]>('DELETE FROM me_sign_ins WHERE expires_at < ?'),
      insert: db.prepare(
        `INSERT INTO me_sign_ins (id, mobile_hash, state, created_at, expires_at, otp_hash, otp_sent_at, otp_expires_at, sends)
         VALUES (@id, @mobileHash, 'code_sent', @createdAt, @expiresAt, @otpHash, @otpSentAt, @otpExpiresAt, 1)`,
      ),
      get: db.prepare<[string], SignInRow>('SELECT * FROM me_sign_ins WHERE id = ?'),
      resent: db.prepare(
        `UPDATE me_sign_ins SET sends = sends + 1, otp_hash = @otpHash, otp_sent_at = @otpSentAt, otp_expires_at = @otpExpiresAt
         WHERE id = @id AND state = 'code_sent' AND sends = @previousSends`,
      ),
      wrongCode: db.prepare<[number, number, string], { failed_attempts: number; state: SignInState }>(
        `UPDATE me_sign_ins SET failed_attempts = failed_attempts + 1,
           state = CASE WHEN failed_attempts + 1 >= ? THEN 'locked' ELSE state END,
           otp_hash = CASE WHEN failed_attempts + 1 >= ? THEN NULL ELSE otp_hash END
         WHERE id = ? AND state = 'code_sent' RETURNING failed_attempts, state`,
      ),
      signedIn: db.prepare<[Buffer, number, string, Buffer]>(
        `UPDATE me_sign_ins SET state = 'signed_in', otp_hash = NULL, secret_hash = ?, expires_at = ?
         WHERE id = ? AND state = 'code_sent' AND otp_hash = ?`,
      ),
      signedOut: db.prepare<[string]>(`UPDATE me_sign_ins SET state = 'signed_out', secret_hash = NULL WHERE id = ? AND state = 'signed_in'`),
    };
  }

  /** A new sign-in with its first code; sign-ins that ran out go in the same call (the table holds only live ones). */
  async create(signIn: NewSignIn): Promise<void> {
    await this.#writer.write(() => this.#statements.prune.run(signIn.createdAt));
    await this.#writer.write(() => this.#statements.insert.run(signIn));
  }

  async get(id: string): Promise<SignIn | null> {
    const row = this.#statements.get.get(id);
    return row ? signInFromRow(row) : null;
  }

  async recordResend(id: string, previousSends: number, code: SentCode): Promise<boolean> {
    return (await this.#writer.write(() => this.#statements.resent.run({ id, previousSends, ...code }))).changes === 1;
  }

  async recordWrongCode(id: string, maxAttempts: number): Promise<{ failedAttempts: number; locked: boolean } | null> {
    const row = await this.#writer.write(() => this.#statements.wrongCode.get(maxAttempts, maxAttempts, id));
    return row ? { failedAttempts: row.failed_attempts, locked: row.state === 'locked' } : null;
  }

  async markSignedIn(id: string, otpHash: Buffer, secretHash: Buffer, expiresAt: number): Promise<boolean> {
    return (await this.#writer.write(() => this.#statements.signedIn.run(secretHash, expiresAt, id, otpHash))).changes === 1;
  }

  async signOut(id: string): Promise<void> {
    await this.#writer.write(() => this.#statements.signedOut.run(id));
  }
}
