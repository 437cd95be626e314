// What the Redis counter adds to the shared contract (rate-counter.test.ts runs that on both):
// the same numbers as SQLite for the same events, exact limits across processes, keys that expire
// by themselves, scripts that survive a Redis that forgot them, and Redis away as a 503 error.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { assertApiError, createSession, DEMO, startTestServer } from '../../test-support/harness.ts';
import { connectTestRedis, type TestRedis } from '../../test-support/redis.ts';
import { connectTestRedisCluster } from '../../test-support/redis-cluster.ts';
import { loadConfig } from '../config.ts';
import { openDatabase } from '../store/database.ts';
import { hashSlot } from '../store/redis.ts';
import { DatabaseUnavailableError } from '../store/unavailable.ts';
import { SqliteRateCounter } from './rate-counter.ts';
import { closeRedisClient, createRedisClient } from '../store/redis.ts';
import { RedisRateCounter } from './redis-rate-counter.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kycvs-redis-rate-'));
const db = openDatabase(path.join(dir, 'counters.sqlite'));
after(() => {
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

let t: TestRedis;
before(async () => {
  t = await connectTestRedis();
});

let run = 0;
const fresh = (name: string) => `r${run++}:${name}`;

describe('RedisRateCounter', () => {
  test('property: the same events give SQLite and Redis the same decisions, counts and retry_after', async () => {
    const sqlite = new SqliteRateCounter(db);
    // Made-up event times, real TTLs: keep keys for the test's few seconds whatever their window.
    const redis = new RedisRateCounter(t.redis, { prefix: t.prefix, clockSkewMs: 600_000 });
    const scenario = fc.record({
      quotas: fc.array(fc.record({ limit: fc.integer({ min: 0, max: 6 }), windowSeconds: fc.constantFrom(1, 7, 60, 3600, 86_400) }), { minLength: 1, maxLength: 4 }),
      start: fc.integer({ min: Date.parse('2026-01-01T00:00:00Z'), max: Date.parse('2027-01-01T00:00:00Z') }),
      events: fc.array(
        fc.record({
          op: fc.constantFrom('hitAll', 'hit', 'peek'),
          gapMs: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 5_000 }), fc.integer({ min: 0, max: 4_000_000 })),
          // hitAll: which quotas, duplicates allowed (the same key twice counts twice); hit/peek: the first.
          picks: fc.array(fc.nat(3), { minLength: 1, maxLength: 4 }),
        }),
        { minLength: 1, maxLength: 60 },
      ),
    });
    await fc.assert(
      fc.asyncProperty(scenario, async ({ quotas: shapes, start, events }) => {
        const prefix = fresh('same');
        const quotas = shapes.map((s, i) => ({ key: `${prefix}:q${i}`, ...s }));
        let now = start;
        for (const { op, gapMs, picks } of events) {
          now += gapMs;
          const asked = picks.map((i) => quotas[i % quotas.length]!);
          const q = asked[0]!;
          if (op === 'hitAll') {
            const [a, b] = [await sqlite.hitAll(asked, now), await redis.hitAll(asked, now)];
            assert.deepEqual(b && { index: asked.indexOf(b.quota), ...b.decision }, a && { index: asked.indexOf(a.quota), ...a.decision });
          } else {
            assert.deepEqual(await redis[op](q.key, q.limit, q.windowSeconds, now), await sqlite[op](q.key, q.limit, q.windowSeconds, now), op);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  test('2 processes, 50 concurrent hitAll each on one quota of 37: exactly 37 admitted, and counted nowhere else', async () => {
    const limit = 37;
    const prefix = `${t.prefix}${fresh('race')}:`;
    const children = [0, 1].map(() =>
      spawn(process.execPath, ['--import', 'tsx', path.resolve('test-support/redis-hit-child.ts'), t.url, prefix, String(limit), '50'], {
        stdio: ['pipe', 'pipe', 'inherit'],
      }),
    );
    try {
      const lines = children.map((c) => readline.createInterface({ input: c.stdout })[Symbol.asyncIterator]());
      for (const l of lines) assert.equal((await l.next()).value, 'ready');
      // Both connected before either starts: the 100 calls race in Redis, not in process start-up.
      for (const c of children) c.stdin.write('go\n');
      const admitted = await Promise.all(lines.map(async (l) => (JSON.parse((await l.next()).value as string) as { admitted: number }).admitted));
      assert.equal(admitted[0]! + admitted[1]!, limit, `admitted per process: ${admitted.join(' + ')}`);
      const counter = new RedisRateCounter(t.redis, { prefix });
      assert.equal((await counter.peek('sms:mobile:race', limit, 3600)).count, limit);
      // All or none across processes: the 63 refused calls left the global quota untouched.
      assert.equal((await counter.peek('sms:global', 1_000_000, 60)).count, limit);
    } finally {
      for (const c of children) if (c.exitCode === null) c.kill();
    }
  });

  test('Redis Cluster: a request\'s quotas on two masters; 80 racing hitAll admit exactly the smaller limit, and the refused give back what they took', async () => {
    const c = await connectTestRedisCluster();
    const masterOf = (key: string) => c.redis.slots[hashSlot(c.prefix + key)]![0];
    // A per-mobile and a global quota, as a text's, on two different masters.
    const mobile = 'sms:mobile:cluster';
    let global = 'sms:global:0';
    for (let i = 1; masterOf(global) === masterOf(mobile); i++) global = `sms:global:${i}`;
    const counter = new RedisRateCounter(c.redis, { prefix: c.prefix });
    const quotas = [{ key: global, limit: 1_000_000, windowSeconds: 60 }, { key: mobile, limit: 37, windowSeconds: 3600 }];
    const results = await Promise.all(Array.from({ length: 80 }, () => counter.hitAll(quotas)));
    assert.equal(results.filter((r) => r === null).length, 37);
    for (const refused of results.filter((r) => r !== null)) assert.equal(refused.quota.key, mobile);
    assert.equal((await counter.peek(mobile, 37, 3600)).count, 37);
    // Every refused call's count on the other master was given back before it returned.
    assert.equal((await counter.peek(global, 1_000_000, 60)).count, 37);
  });

  test('keys expire by themselves after what the window still reaches; prune has nothing to do', async () => {
    const counter = new RedisRateCounter(t.redis, { prefix: t.prefix, clockSkewMs: 200 });
    const q = { key: fresh('ttl'), limit: 5, windowSeconds: 1 };
    assert.equal(await counter.hitAll([q]), null);
    const ttl = await t.redis.pttl(t.prefix + q.key);
    // Counted until the sub-window's start + 50 ms + 1 s; kept 50 ms more (a clock ahead) + the skew.
    assert.ok(ttl > 1_050 && ttl <= 1_300, `PTTL ${ttl}`);
    assert.equal(await counter.prune(), 0);
    const deadline = Date.now() + 5_000;
    while ((await t.redis.exists(t.prefix + q.key)) === 1) {
      assert.ok(Date.now() < deadline, 'the key did not expire');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  });

  test('a Redis that forgot the scripts (restart, SCRIPT FLUSH) gets them again', async () => {
    const counter = new RedisRateCounter(t.redis, { prefix: t.prefix });
    const q = { key: fresh('flush'), limit: 2, windowSeconds: 60 };
    assert.equal(await counter.hitAll([q]), null);
    await t.redis.script('FLUSH');
    assert.equal(await counter.hitAll([q]), null);
    assert.equal((await counter.hitAll([q]))?.quota, q);
    const hitAt = Date.now();
    assert.equal((await counter.hit(q.key, 2, 60, hitAt)).count, 3);
    assert.equal((await counter.peek(q.key, 2, 60, hitAt)).count, 3);
    await t.redis.script('FLUSH');
    await counter.release(q.key, 60, hitAt);
    assert.equal((await counter.peek(q.key, 2, 60, hitAt)).count, 2);
  });

  test('Redis away (one server or a cluster): a typed 503 (database_unavailable, Retry-After) within 2 s, for every operation', async () => {
    // A port nothing listens on: bound, then released.
    const port = await new Promise<number>((resolve) => {
      const server = net.createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as net.AddressInfo;
        server.close(() => resolve(port));
      });
    });
    // A cluster client never got its slot map: its commands must fail, not wait in a queue with no time limit.
    for (const cluster of [false, true]) {
      const redis = createRedisClient(`redis://127.0.0.1:${port}`, { cluster });
      try {
        const counter = new RedisRateCounter(redis);
        const calls = [() => counter.hitAll([{ key: 'k', limit: 1, windowSeconds: 60 }]), () => counter.hit('k', 1, 60), () => counter.peek('k', 1, 60), () => counter.release('k', 60, Date.now())];
        for (const call of calls) {
          const started = Date.now();
          await assert.rejects(call(), (err: unknown) => {
            assert.ok(err instanceof DatabaseUnavailableError, String(err));
            assert.equal(err.status, 503);
            assert.equal(err.code, 'database_unavailable');
            assert.ok(err.retryAfter >= 1);
            assert.doesNotMatch(err.message, /127\.0\.0\.1|redis:\/\//, 'no address in what a client may see');
            return true;
          });
          assert.ok(Date.now() - started < 2_500, `${cluster ? 'cluster' : 'one server'}: took ${Date.now() - started} ms`);
        }
      } finally {
        await closeRedisClient(redis);
      }
    }
  });

  test('KYCVS_REDIS_URL: redis:// or rediss:// only (several with KYCVS_REDIS_CLUSTER=1), refused without repeating it', () => {
    assert.equal(loadConfig({}).redisUrl, null);
    assert.equal(loadConfig({ KYCVS_REDIS_URL: ' redis://:pw@cache:6379/2 ' }).redisUrl, 'redis://:pw@cache:6379/2');
    assert.equal(loadConfig({ KYCVS_REDIS_URL: 'rediss://cache.internal' }).redisUrl, 'rediss://cache.internal');
    for (const typo of ['http://:s3cret@cache:6379', 'cache:6379', 'redis:/cache', 'redis://a:1,cache:2']) {
      assert.throws(
        () => loadConfig({ KYCVS_REDIS_URL: typo, KYCVS_REDIS_CLUSTER: '1' }),
        (err: Error) => /KYCVS_REDIS_URL must be a redis:\/\/ or rediss:\/\/ URL/.test(err.message) && !err.message.includes('cache'),
      );
    }
    // A Redis Cluster: seed nodes, comma-separated, only with KYCVS_REDIS_CLUSTER=1.
    const seeds = 'redis://:pw@r1:7000, redis://:pw@r2:7000';
    const cluster = loadConfig({ KYCVS_REDIS_URL: seeds, KYCVS_REDIS_CLUSTER: '1' });
    assert.equal(cluster.redisUrl, 'redis://:pw@r1:7000,redis://:pw@r2:7000');
    assert.equal(cluster.redisCluster, true);
    assert.equal(loadConfig({ KYCVS_REDIS_URL: 'redis://r1:7000' }).redisCluster, false);
    assert.throws(() => loadConfig({ KYCVS_REDIS_URL: seeds }), (err: Error) => /set KYCVS_REDIS_CLUSTER=1/.test(err.message) && !err.message.includes('pw'));
    assert.throws(() => loadConfig({ KYCVS_REDIS_URL: 'redis://r1:7000/2', KYCVS_REDIS_CLUSTER: '1' }), /database 0 only/);
    assert.equal(loadConfig({ KYCVS_REDIS_URL: 'redis://r1:7000/0', KYCVS_REDIS_CLUSTER: '1' }).redisUrl, 'redis://r1:7000/0');
  });

  test('KYCVS_REDIS_URL moves the rate counters of a server to Redis', async () => {
    // Under this test's own prefix: other test files' servers share the Redis.
    const pattern = `${t.prefix}rate:sessions:ip:*`;
    const before = new Set(await t.redis.keys(pattern));
    const server = await startTestServer({
      store: 'sqlite',
      env: { KYCVS_REDIS_URL: t.url, KYCVS_REDIS_PREFIX: t.prefix, KYCVS_SESSIONS_PER_IP_MINUTE: '2' },
    });
    let ours: string[] = [];
    try {
      await createSession(server);
      await createSession(server);
      assertApiError(await server.api('POST', '/v1/sessions', { json: {}, apiKey: DEMO.railway.apiKey }), 'rate_limited');
      // The per-address key is a keyed hash under this server's fresh secret: new, and only this test's.
      ours = (await t.redis.keys(pattern)).filter((k) => !before.has(k));
      assert.equal(ours.length, 1, ours.join(' '));
      // Two hits, in one sub-window or two (a 3 s sub-window may roll over between them).
      assert.equal((await t.redis.hvals(ours[0]!)).reduce((sum, v) => sum + Number(v), 0), 2);
    } finally {
      await server.close();
      if (ours.length) await t.redis.unlink(...ours);
    }
  });
});
