import { DatabaseUnavailableError, type DatabaseErrorCode } from '../unavailable.ts';
import pg from 'pg';

/** How the service talks to PostgreSQL: from config (KYCVS_DATABASE_URL, KYCVS_DB_POOL_SIZE). */
export interface PoolOptions {
  url: string;
  /** Connections per process: N processes open up to N × size, which the server's max_connections must allow. */
  size: number;
  /** A statement running longer is cancelled: a request waits for the database this long at most. */
  statementTimeoutMs?: number;
  /** Waiting this long for a free connection (pool exhausted, or the server not answering) gives up. */
  connectTimeoutMs?: number;
  /** Shown in pg_stat_activity, so an operator sees which connections are the service's. */
  applicationName?: string;
}

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;

const INT8_OID = 20;

/**
 * bigint columns hold ms timestamps and counts, all far below 2^53: read them as numbers, as
 * better-sqlite3 does, not as the strings pg gives by default (which would compare wrongly).
 */
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
};

export function createPool({ url, size, statementTimeoutMs = 5_000, connectTimeoutMs = 2_000, applicationName = 'kycvs' }: PoolOptions): Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: size,
    statement_timeout: statementTimeoutMs,
    // A transaction left open by a stuck process must not hold its row locks for ever.
    idle_in_transaction_session_timeout: statementTimeoutMs * 2,
    connectionTimeoutMillis: connectTimeoutMs,
    application_name: applicationName,
    types,
  });
  // An idle connection dropped by the server (restart, failover) emits here; without a listener
  // Node would crash the process. The pool has already discarded it: the next query opens a new one.
  pool.on('error', () => {});
  // A connection is without the pool's listener from the moment it is handed out until its taker
  // attaches one (inTransaction does, a microtask later). A server shutting down can send its FATAL
  // in the same packet as the new connection's ReadyForQuery: the parser then emits 'error' inside
  // that gap, and with no listener the process dies (seen once in the PostgreSQL restart test). A
  // listener for the connection's whole life closes the gap; the failure still reaches whoever
  // uses the connection, as its next query's error, and the pool discards the connection on release.
  pool.on('connect', (client) => client.on('error', () => {}));
  return pool;
}

/** Socket-level failures: the server is down, restarting, or unreachable. */
const NETWORK_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * SQLSTATEs that mean "not now": class 08 (connection exception), shutting down or starting up
 * (57P01–57P03), out of connections (53300), cancelled by statement_timeout (57014), and a
 * serialization failure (40001) or deadlock (40P01): the transaction may simply be run again.
 */
function classify(err: unknown): DatabaseErrorCode | null {
  if (!(err instanceof Error)) return null;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (NETWORK_ERRNOS.has(code)) return 'database_unavailable';
    if (code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03' || code === '53300') return 'database_unavailable';
    if (code === '57014') return 'database_timeout'; // statement_timeout cancelled it
    if (code === '40001' || code === '40P01') return 'database_conflict';
  }
  // pg's own messages for a connection it lost or could not get (no code attached).
  if (/Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(err.message)) {
    return /timeout exceeded/i.test(err.message) ? 'database_timeout' : 'database_unavailable';
  }
  return null;
}

const RETRY_AFTER: Record<DatabaseErrorCode, number> = { database_unavailable: 5, database_timeout: 2, database_conflict: 1 };
const MESSAGES: Record<DatabaseErrorCode, string> = {
  database_unavailable: 'The database is not reachable.',
  database_timeout: 'The database did not answer in time.',
  database_conflict: 'A concurrent change got in the way.',
};

/** `err` as a DatabaseUnavailableError when it is one of the "try again later" kind; otherwise `err` itself. */
export function mapDatabaseError(err: unknown): unknown {
  if (err instanceof DatabaseUnavailableError) return err;
  const code = classify(err);
  return code ? new DatabaseUnavailableError(code, MESSAGES[code], RETRY_AFTER[code], { cause: err }) : err;
}

/**
 * A statement of the request path, prepared by name: each connection has PostgreSQL parse and plan
 * it once, then only binds and runs it (14–20 % less server CPU for a registry lookup than the same
 * text sent unnamed, which is parsed and planned on every call). Behind PgBouncer in transaction
 * mode this needs `max_prepared_statements` (1.21+; docs/scaling.md).
 */
export interface PreparedStatement {
  readonly name: string;
  readonly text: string;
}

const preparedTexts = new Map<string, string>();

/** Declares a named statement; a name is for one text only (pg refuses a second text on the same connection). */
export function prepared(name: string, text: string): PreparedStatement {
  const known = preparedTexts.get(name);
  if (known !== undefined && known !== text) throw new Error(`prepared statement ${name} declared twice with different texts`);
  preparedTexts.set(name, text);
  return { name, text };
}

/** The query config pg takes for `statement` with `values`: named when prepared, plain text otherwise. */
export function statement(sql: string | PreparedStatement, values?: readonly unknown[]): pg.QueryConfig {
  const config: pg.QueryConfig = typeof sql === 'string' ? { text: sql } : { name: sql.name, text: sql.text };
  if (values) config.values = values as unknown[];
  return config;
}

/** One statement on any pooled connection, its failures mapped. */
export async function query<R extends pg.QueryResultRow = pg.QueryResultRow>(
  pool: Pool,
  sql: string | PreparedStatement,
  values?: readonly unknown[],
): Promise<pg.QueryResult<R>> {
  try {
    return await pool.query<R>(statement(sql, values));
  } catch (err) {
    throw mapDatabaseError(err);
  }
}

/**
 * Transactions a serialization failure (40001) or deadlock (40P01) ended are run again this many
 * times in all: the database rolled them back whole, so running the work again is what the error
 * asks for. READ COMMITTED (this service's default) sees only deadlocks; CockroachDB, YugabyteDB
 * and any cluster defaulting to SERIALIZABLE see 40001 under ordinary contention (docs/scaling.md).
 */
const CONFLICT_ATTEMPTS = 3;
/** The first retry waits up to this long (random), the next twice that: the two sides spread out. */
const CONFLICT_BACKOFF_MS = 10;

/**
 * Runs `work` in one transaction on one connection: COMMIT if it returns, ROLLBACK if it throws.
 * A connection that failed mid-transaction is destroyed, not returned to the pool half-open. A
 * transaction lost to a serialization failure or deadlock is run again (CONFLICT_ATTEMPTS), so
 * `work` must do nothing but its queries that a second run would repeat.
 */
export async function inTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  return retryingConflicts(() => transactionOnce(pool, work));
}

/**
 * Runs `run` (one transaction: BEGIN … COMMIT, or one autocommitted statement) again when a
 * serialization failure or deadlock ended it, as inTransaction does; its failures must be mapped.
 */
export async function retryingConflicts<T>(run: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (err) {
      if (!(err instanceof DatabaseUnavailableError && err.code === 'database_conflict') || attempt >= CONFLICT_ATTEMPTS) throw err;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * CONFLICT_BACKOFF_MS * 2 ** (attempt - 1)));
    }
  }
}

async function transactionOnce<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  let client: PoolClient;
  try {
    client = await pool.connect();
  } catch (err) {
    throw mapDatabaseError(err);
  }
  let broken: Error | undefined;
  // A checked-out connection the server drops emits 'error' besides failing its query: without a
  // listener that would crash the process. The failing query is what reports it.
  const onError = (err: Error) => {
    broken = err;
  };
  client.on('error', onError);
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    try {
      await client.query('ROLLBACK');
    } catch (rollbackErr) {
      broken = rollbackErr instanceof Error ? rollbackErr : new Error(String(rollbackErr));
    }
    throw mapDatabaseError(err);
  } finally {
    client.off('error', onError);
    client.release(broken);
  }
}
