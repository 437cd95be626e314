import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, it } from 'node:test';
import { createTestDatabase } from '../../../test-support/postgres.ts';
import { DatabaseUnavailableError } from '../unavailable.ts';
import { createPool, inTransaction, mapDatabaseError, query } from './pool.ts';

/** A port on 127.0.0.1 that nothing listens on (bound, then released). */
async function deadPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function isUnavailable(code: string, retryAfter?: number) {
  return (err: unknown) => {
    assert.ok(err instanceof DatabaseUnavailableError, `expected DatabaseUnavailableError, got ${String(err)}`);
    assert.equal(err.code, code);
    assert.equal(err.status, 503);
    if (retryAfter !== undefined) assert.equal(err.retryAfter, retryAfter);
    return true;
  };
}

describe('PostgreSQL pool', () => {
  it('a database that is away is a 503 with Retry-After, not a crash', async () => {
    const pool = createPool({ url: `postgres://postgres@127.0.0.1:${await deadPort()}/postgres`, size: 2, connectTimeoutMs: 500 });
    await assert.rejects(query(pool, 'SELECT 1'), isUnavailable('database_unavailable', 5));
    await assert.rejects(inTransaction(pool, (c) => c.query('SELECT 1')), isUnavailable('database_unavailable'));
    await pool.end();
  });

  it('a statement past the statement timeout is cancelled and answered as a timeout', async () => {
    const db = await createTestDatabase({ migrate: false });
    const pool = createPool({ url: db.url, size: 1, statementTimeoutMs: 100 });
    await assert.rejects(query(pool, 'SELECT pg_sleep(2)'), isUnavailable('database_timeout', 2));
    assert.equal((await query<{ n: number }>(pool, 'SELECT 1 AS n')).rows[0]!.n, 1, 'the pool still works');
    await pool.end();
  });

  it('a connection killed mid-transaction rolls back, is answered as unavailable, and the pool recovers', async () => {
    const db = await createTestDatabase({ migrate: false });
    await db.pool.query('CREATE TABLE t (n integer)');
    const pool = createPool({ url: db.url, size: 1, applicationName: 'kycvs-victim' });
    await assert.rejects(
      inTransaction(pool, async (client) => {
        await client.query('INSERT INTO t VALUES (1)');
        // As a restart or failover would: the server ends this backend under the open transaction.
        await db.pool.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'kycvs-victim'");
        await client.query('INSERT INTO t VALUES (2)');
      }),
      isUnavailable('database_unavailable'),
    );
    assert.equal((await query<{ n: number }>(pool, 'SELECT count(*) AS n FROM t')).rows[0]!.n, 0, 'nothing of it committed');
    await pool.end();
  });

  it('a connection that fails the moment it is handed out is answered as unavailable, not a crash', async () => {
    const db = await createTestDatabase({ migrate: false });
    const pool = createPool({ url: db.url, size: 1 });
    // A server shutting down may send its FATAL in the packet of a new connection's ReadyForQuery:
    // pg emits it right after the pool took its own listener off and before the taker put one on.
    // The microtask below lands in that gap, ahead of inTransaction's continuation.
    pool.once('acquire', (client) =>
      queueMicrotask(() => {
        const fatal = Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' });
        client.emit('error', fatal);
        (client as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
      }),
    );
    await assert.rejects(
      inTransaction(pool, (c) => c.query('SELECT 1')),
      isUnavailable('database_unavailable'),
    );
    assert.equal((await query<{ n: number }>(pool, 'SELECT 1 AS n')).rows[0]!.n, 1, 'the pool opens a new connection');
    await pool.end();
  });

  it('a transaction lost to a serialization failure is run again, and every increment lands', async () => {
    const db = await createTestDatabase({ migrate: false });
    await db.pool.query('CREATE TABLE c (id integer PRIMARY KEY, n integer NOT NULL)');
    await db.pool.query('INSERT INTO c VALUES (1, 0)');
    // As on CockroachDB or a cluster set to SERIALIZABLE: read-then-write transactions that overlap fail with 40001.
    await db.pool.query(`ALTER DATABASE "${new URL(db.url).pathname.slice(1)}" SET default_transaction_isolation = 'serializable'`);
    const pool = db.newPool(4);
    let runs = 0;
    let bothRead: () => void = () => undefined;
    const together = new Promise<void>((resolve) => (bothRead = resolve));
    let reads = 0;
    const increment = () =>
      inTransaction(pool, async (client) => {
        runs++;
        const { rows } = await client.query<{ n: number; iso: string }>("SELECT n, current_setting('transaction_isolation') AS iso FROM c WHERE id = 1");
        assert.equal(rows[0]!.iso, 'serializable');
        // The first runs of both wait until both have read: their writes then conflict for certain.
        if (++reads === 2) bothRead();
        if (reads <= 2) await together;
        await client.query('UPDATE c SET n = $1 WHERE id = 1', [rows[0]!.n + 1]);
      });
    await Promise.all([increment(), increment()]);
    assert.equal((await query<{ n: number }>(pool, 'SELECT n FROM c WHERE id = 1')).rows[0]!.n, 2, 'both increments landed');
    assert.equal(runs, 3, 'the loser ran again, once');
  });

  it('a transaction that keeps losing is answered as a conflict, 503 with Retry-After 1, after 3 runs', async () => {
    const db = await createTestDatabase({ migrate: false });
    let runs = 0;
    await assert.rejects(
      inTransaction(db.pool, async (client) => {
        runs++;
        await client.query("DO $$ BEGIN RAISE EXCEPTION 'lost' USING ERRCODE = 'serialization_failure'; END $$");
      }),
      isUnavailable('database_conflict', 1),
    );
    assert.equal(runs, 3);
  });

  it('leaves errors that are not about availability as they are', async () => {
    const db = await createTestDatabase({ migrate: false });
    await db.pool.query('CREATE TABLE u (n integer PRIMARY KEY)');
    await query(db.pool, 'INSERT INTO u VALUES (1)');
    await assert.rejects(query(db.pool, 'INSERT INTO u VALUES (1)'), (err: unknown) => {
      assert.ok(!(err instanceof DatabaseUnavailableError));
      assert.equal((err as { code?: string }).code, '23505');
      return true;
    });
    const bug = new TypeError('not a database problem');
    assert.equal(mapDatabaseError(bug), bug);
  });

  it('names its connections and reads bigint ms timestamps as numbers', async () => {
    const db = await createTestDatabase({ migrate: false });
    const pool = createPool({ url: db.url, size: 1, applicationName: 'kycvs-named' });
    const { rows } = await query<{ app: string; at: number; timeout: string }>(
      pool,
      "SELECT current_setting('application_name') AS app, 1764000000123::bigint AS at, current_setting('statement_timeout') AS timeout",
    );
    assert.deepEqual(rows[0], { app: 'kycvs-named', at: 1764000000123, timeout: '5s' });
    await pool.end();
  });
});
