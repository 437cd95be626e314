// A service process while another process holds the SQLite file's write lock, as a second service
// process, a webhook sweep or a bulk import does: the process goes on answering what needs no
// write (it does not sleep in SQLite's busy handler), its writes land once the lock is free, and a
// lock held past the busy timeout is a 503 with Retry-After, never a 500. The real service as its
// own process, a real file, a real lock.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { DATABASE_FILE } from '../services.ts';
import { type ChildServer, spawnServer } from '../../test-support/child-server.ts';
import { DEMO } from '../../test-support/harness.ts';
import { BUSY_TIMEOUT_MS } from './database.ts';

let service: ChildServer;
let other: Database.Database;

before(async () => {
  service = await spawnServer({ env: { LOG_LEVEL: 'warn' } });
  other = new Database(path.join(service.dataDir, DATABASE_FILE));
  other.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
});
after(async () => {
  if (other?.inTransaction) other.exec('ROLLBACK');
  other?.close();
  await service?.cleanup();
});

const createSession = () => service.api('POST', '/v1/sessions', { apiKey: DEMO.railway.apiKey, json: { purpose: 'Lock test' } });

describe('SQLite write lock held by another process', () => {
  test('the service answers reads at once meanwhile, and its write lands when the lock is free', async () => {
    const HOLD_MS = 3_000;
    other.exec('BEGIN IMMEDIATE');
    const heldUntil = performance.now() + HOLD_MS;
    let createdAt = Number.POSITIVE_INFINITY;
    const creating = createSession().then((res) => ((createdAt = performance.now()), res));
    // A process asleep in SQLite's busy handler would leave these unanswered until the lock went.
    const slowest = { ms: 0, answers: 0 };
    while (performance.now() < heldUntil) {
      const sent = performance.now();
      const health = await service.api('GET', '/healthz');
      assert.equal(health.status, 200, health.text);
      slowest.ms = Math.max(slowest.ms, performance.now() - sent);
      slowest.answers++;
    }
    const committedAt = performance.now();
    other.exec('COMMIT');
    const created = await creating;
    assert.equal(created.status, 201, created.text);
    assert.ok(createdAt >= committedAt, 'the session was written only once the lock was free');
    assert.ok(slowest.ms < HOLD_MS / 2, `the slowest of ${slowest.answers} /healthz answers took ${Math.round(slowest.ms)} ms, the lock held for ${HOLD_MS} ms`);
  });

  test('a lock held past the busy timeout: the write is answered 503 with Retry-After, and the next one lands', { timeout: 30_000 }, async () => {
    other.exec('BEGIN IMMEDIATE');
    let refused;
    try {
      refused = await createSession();
    } finally {
      other.exec('COMMIT');
    }
    assert.equal(refused.status, 503, refused.text);
    assert.equal(refused.body.error, 'service_unavailable');
    assert.ok(Number(refused.headers.get('retry-after')) > 0);
    assert.equal((await createSession()).status, 201);
  });
});
