// The one error a store throws when it cannot answer now; kept free of any driver so the HTTP layer
// can recognise it without loading one.

export type DatabaseErrorCode = 'database_unavailable' | 'database_timeout' | 'database_conflict';

/**
 * The database cannot answer now, and a retry later may succeed: the request path answers 503 with
 * `Retry-After` (never 500), having written nothing it acknowledged. Anything else the driver
 * throws (a constraint, a bug in a statement) is not this and stays a programming error.
 */
export class DatabaseUnavailableError extends Error {
  readonly code: DatabaseErrorCode;
  readonly status = 503;
  /** Seconds a client should wait before retrying. */
  readonly retryAfter: number;

  constructor(code: DatabaseErrorCode, message: string, retryAfter: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DatabaseUnavailableError';
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

/** SQLITE_BUSY or one of its extended codes, as better-sqlite3 throws it: another process holds the lock (store/sqlite-writer.ts). */
export function isSqliteBusy(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
}
