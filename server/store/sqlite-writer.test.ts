// Writes while another connection holds SQLite's write lock (as another service process does):
// they wait without blocking this process's event loop, land once the lock is free, and give up as
// a 503, not a 500, when it is held too long. Real files, real locks.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { BUSY_TIMEOUT_MS, openDatabase } from './database.ts';
import { failFastOnBusy, SqliteWriter, sqliteWriter } from './sqlite-writer.ts';
import { DatabaseUnavailableError } from './unavailable.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kycvs-writer-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
let n = 0;

/** Two connections to one new file: `db` is a serving process's (fail-fast, writes through the writer), `other` plays another process. */
function twoConnections() {
  const file = path.join(dir, `w${++n}.sqlite`);
  const db = openDatabase(file);
  db.exec('CREATE TABLE t (v INTEGER PRIMARY KEY)');
  failFastOnBusy(db);
  const other = openDatabase(file);
  after(() => {
    other.close();
    db.close();
  });
  return { db, other, insert: db.prepare<[number]>('INSERT INTO t (v) VALUES (?)') };
}

const count = (db: ReturnType<typeof openDatabase>) => db.prepare('SELECT count(*) FROM t').pluck().get() as number;

describe('SQLite writes under another writer', () => {
  test('a write waits for the other connection\'s lock without blocking the event loop, then lands', async () => {
    const { db, other, insert } = twoConnections();
    other.exec('BEGIN IMMEDIATE');
    // Only a free event loop can run this timer: SQLite's own busy handler would sleep this thread
    // with the lock still held, and the write would fail after the busy timeout instead.
    let ticks = 0;
    const ticking = setInterval(() => ticks++, 1);
    setTimeout(() => other.exec('COMMIT'), 60);
    const started = performance.now();
    const result = await sqliteWriter(db).write(() => insert.run(1));
    clearInterval(ticking);
    assert.equal(result.changes, 1);
    assert.equal(count(db), 1);
    // At least one: a busy machine may run the loop rarely, but a thread asleep in SQLite runs it never.
    assert.ok(ticks >= 1, `the event loop ran ${ticks} timer ticks while the write waited`);
    assert.ok(performance.now() - started < BUSY_TIMEOUT_MS / 2, 'landed once the lock was free');
  });

  test('a transaction waits the same way and runs once, when it has the lock', async () => {
    const { db, other, insert } = twoConnections();
    other.exec('BEGIN IMMEDIATE');
    setTimeout(() => other.exec('COMMIT'), 30);
    let runs = 0;
    const both = db.transaction(() => {
      runs++;
      insert.run(1);
      insert.run(2);
    });
    await sqliteWriter(db).write(() => both.immediate());
    assert.equal(runs, 1);
    assert.equal(count(db), 2);
  });

  test('a lock held past the timeout is a 503 (database_timeout), and nothing was written', async () => {
    const { db, other, insert } = twoConnections();
    other.exec('BEGIN IMMEDIATE');
    try {
      await assert.rejects(new SqliteWriter(db, { timeoutMs: 150 }).write(() => insert.run(1)), (err: unknown) => {
        assert.ok(err instanceof DatabaseUnavailableError);
        assert.equal(err.code, 'database_timeout');
        assert.equal(err.status, 503);
        return true;
      });
    } finally {
      other.exec('COMMIT');
    }
    assert.equal(count(db), 0);
  });

  test('many writes waiting at once all land, in the order they came, each tried once the one before is in', async () => {
    const { db, other, insert } = twoConnections();
    other.exec('BEGIN IMMEDIATE');
    setTimeout(() => other.exec('COMMIT'), 40);
    const writer = sqliteWriter(db);
    let attempts = 0;
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        writer.write(() => {
          attempts++;
          return insert.run(i);
        }),
      ),
    );
    assert.deepEqual(db.prepare('SELECT v FROM t ORDER BY rowid').pluck().all(), Array.from({ length: 20 }, (_, i) => i));
    // They wait as one group: a busy attempt fails at BEGIN, before any of them has run.
    assert.equal(attempts, 20, `${attempts} attempts for 20 writes`);
  });

  test('writes queued behind a lock held too long all give up by the one timeout, not one after the other', async () => {
    const { db, other, insert } = twoConnections();
    other.exec('BEGIN IMMEDIATE');
    const writer = new SqliteWriter(db, { timeoutMs: 200 });
    const started = performance.now();
    const gaveUpAt: number[] = [];
    try {
      const outcomes = await Promise.allSettled(
        Array.from({ length: 5 }, (_, i) => writer.write(() => insert.run(i)).finally(() => gaveUpAt.push(performance.now()))),
      );
      assert.deepEqual(outcomes.map((o) => o.status === 'rejected' && (o.reason as DatabaseUnavailableError).code), Array(5).fill('database_timeout'));
    } finally {
      other.exec('COMMIT');
    }
    // One after the other, each waiting its own 200 ms, the last would give up 800 ms after the first.
    const spread = Math.max(...gaveUpAt) - Math.min(...gaveUpAt);
    assert.ok(spread < 200, `the five gave up over ${Math.round(spread)} ms`);
    // By the writer's own timeout, not SQLite's: never earlier, and long before BUSY_TIMEOUT_MS.
    const first = Math.min(...gaveUpAt) - started;
    assert.ok(first >= 200 && first < BUSY_TIMEOUT_MS, `the first gave up after ${Math.round(first)} ms`);
  });

  test('writes asked for in one turn share a commit, and one write\'s error undoes only that write', async () => {
    const { db, insert } = twoConnections();
    insert.run(1);
    const writer = sqliteWriter(db);
    const twoRows = db.transaction((a: number, b: number) => {
      insert.run(a);
      insert.run(b); // 1 is taken: the transaction fails after its first row
    });
    let grouped = 0;
    const outcomes = await Promise.allSettled([
      writer.write(() => {
        grouped += db.inTransaction ? 1 : 0;
        return insert.run(2);
      }),
      writer.write(() => insert.run(1)), // a duplicate: this caller alone gets the error
      writer.write(() => twoRows(3, 1)), // undone whole: no 3
      writer.write(() => insert.run(4)),
    ]);
    assert.deepEqual(
      outcomes.map((o) => o.status),
      ['fulfilled', 'rejected', 'rejected', 'fulfilled'],
    );
    assert.equal(((outcomes[1] as PromiseRejectedResult).reason as { code?: string }).code, 'SQLITE_CONSTRAINT_PRIMARYKEY');
    assert.deepEqual(db.prepare('SELECT v FROM t ORDER BY v').pluck().all(), [1, 2, 4]);
    assert.equal(grouped, 1, 'the writes ran inside one transaction');
    assert.equal(db.inTransaction, false);
  });

  test('any other error is thrown at once, not retried', async () => {
    const { db, insert } = twoConnections();
    insert.run(1);
    let runs = 0;
    await assert.rejects(
      sqliteWriter(db).write(() => {
        runs++;
        return insert.run(1);
      }),
      (err: unknown) => (err as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY',
    );
    assert.equal(runs, 1);
  });
});
