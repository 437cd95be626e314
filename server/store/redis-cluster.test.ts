// What a Redis Cluster adds to the one-Redis stores: a master can be away while the others answer.
// On a cluster of this file's own (3 masters; test-support/redis-cluster-server.ts), set as an
// operator should set it — `cluster-require-full-coverage no`, so the other masters go on serving
// when one fails — one master is stalled (SIGSTOP: its commands time out, its data comes back with
// it) while the counters and the expiry sweep work across all three. Both must fail as 503s, never
// count past a limit, never lose or repeat a webhook event, and finish once the master is back.
// Then a whole demo service (its shared SMS outbox included) on the cluster.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { Cluster } from 'ioredis';
import { verifyStatusToken } from '@kycvs/verifier';
import { DEMO, startTestServer, tokenFor, waitFor } from '../../test-support/harness.ts';
import { createTestDatabase } from '../../test-support/postgres.ts';
import { type LocalRedisCluster, startRedisCluster, untilReady } from '../../test-support/redis-cluster-server.ts';
import { cleanUpAfterFile, freshTestPrefix } from '../../test-support/redis.ts';
import { RedisRateCounter } from '../quotas/redis-rate-counter.ts';
import { RedisSessionStore } from '../sessions/redis-session-store.ts';
import type { NewSession } from '../sessions/session-store.ts';
import { query } from './postgres/pool.ts';
import { createRedisClient, hashSlot } from './redis.ts';
import { DatabaseUnavailableError } from './unavailable.ts';

const HOOKED = 'client-hooked';
const SHARDS = 16;
let cluster: LocalRedisCluster;
let redis: Cluster;
const prefix = freshTestPrefix();

before(async () => {
  cluster = await startRedisCluster({ fullCoverage: false });
  redis = cleanUpAfterFile({ redis: createRedisClient(cluster.url, { cluster: true }) as Cluster, prefix }).redis;
  await untilReady(redis);
});
// After ./redis.ts's clean-up (registered on import): the keys go first, then the nodes.
after(() => cluster.stop());

/** Which of the cluster's masters (0–2, as pause() counts them) serves a key. */
function masterOf(key: string): number {
  const node = redis.slots[hashSlot(key)]![0]!;
  return cluster.url.split(',').findIndex((u) => u.endsWith(`:${node.split(':')[1]}`));
}

describe('a Redis Cluster with one master stalled', () => {
  test('hitAll over quotas on two masters: a 503 within the command timeout, and the quota on the other master given back', async () => {
    const counter = new RedisRateCounter(redis, { prefix });
    const onStalled = 'sms:mobile:stalled';
    let other = 'sms:global:0';
    for (let i = 1; masterOf(prefix + other) === masterOf(prefix + onStalled); i++) other = `sms:global:${i}`;
    const quotas = [{ key: other, limit: 100, windowSeconds: 3600 }, { key: onStalled, limit: 100, windowSeconds: 3600 }];
    const now = Date.now();
    cluster.pause(masterOf(prefix + onStalled));
    try {
      const started = Date.now();
      await assert.rejects(counter.hitAll(quotas, now), (err: unknown) => err instanceof DatabaseUnavailableError && err.status === 503);
      assert.ok(Date.now() - started < 3_000, `took ${Date.now() - started} ms`);
      // Counted on the master that answered, then given back before the 503: no quota used by a refused request.
      assert.equal((await counter.peek(other, 100, 3600, now)).count, 0);
    } finally {
      cluster.resume(masterOf(prefix + onStalled));
    }
    assert.equal(await counter.hitAll(quotas, now + 1), null, 'back: the request is counted');
    assert.equal((await counter.peek(other, 100, 3600, now + 1)).count, 1);
  });

  test('the expiry sweep: the shards on the other masters are swept, the stalled one after it is back; one event per session', async () => {
    const pg = await createTestDatabase();
    await query(pg.pool, `INSERT INTO clients (id, name, purpose, allowed_origins, status, created_at, webhook_url) VALUES ($1, 'C', 'P', '[]', 'active', 0, 'https://hooks.test/x')`, [HOOKED]);
    const store = new RedisSessionStore(redis, pg.pool, { prefix, sweepShards: SHARDS, claimLeaseMs: 2_000 });
    const now = Date.now();
    const sessions: NewSession[] = Array.from({ length: 40 }, (_, i) => ({
      id: `ses_cluster_${i}_${crypto.randomBytes(3).toString('hex')}`, clientId: HOOKED, mode: 'server', origin: null, purpose: 'Entry', nonce: null,
      createdAt: now, expiresAt: now + 60_000,
    }));
    for (const s of sessions) await store.create(s);
    // The sessions the stalled master holds a part of: their sweep shard's sets, or their own hash.
    const stalled = masterOf(`${prefix}session-expiry:{0}`);
    const onStalled = new Set(
      sessions
        .filter((s) => masterOf(`${prefix}session-expiry:{${hashSlot(s.id) % SHARDS}}`) === stalled || masterOf(`${prefix}session:${s.id}`) === stalled)
        .map((s) => s.id),
    );
    assert.ok(onStalled.size > 0 && onStalled.size < sessions.length, `${onStalled.size} of ${sessions.length} on the stalled master`);
    const events = async () => {
      const { rows } = await query<{ session_id: string; n: number }>(pg.pool, `SELECT session_id, count(*)::int AS n FROM webhook_events WHERE type = 'session.expired' GROUP BY session_id`);
      return rows;
    };

    cluster.pause(stalled);
    try {
      // The sweep goes on past what does not answer (each waits out the command timeout) and throws
      // its error after the rest.
      await assert.rejects(store.expireDue(now + 61_000, 0, 500), (err: unknown) => err instanceof DatabaseUnavailableError);
    } finally {
      cluster.resume(stalled);
    }
    const whileStalled = await events();
    assert.deepEqual(whileStalled.map((e) => e.session_id).sort(), sessions.filter((s) => !onStalled.has(s.id)).map((s) => s.id).sort());

    // Back: the rest, and nothing twice.
    // Back (a session taken while its hash did not answer is retried once the lease has passed). Pages
    // of 7, each call starting at another shard: every shard is reached.
    await waitFor(async () => (await store.expireDue(Date.now() + 61_000, 0, 7), (await events()).length === sessions.length), {
      timeoutMs: 20_000,
      what: 'every session expired',
    });
    const all = await events();
    assert.equal(all.length, sessions.length);
    assert.ok(all.every((e) => e.n === 1));
  });
});

describe('a demo service on PostgreSQL + a Redis Cluster', () => {
  test('the widget flow to a token, its code read from the shared demo outbox (a list in one slot); the token verifies against the JWKS', async () => {
    const server = await startTestServer({
      store: 'distributed',
      env: { KYCVS_REDIS_URL: cluster.url, KYCVS_REDIS_CLUSTER: '1', KYCVS_REDIS_PREFIX: `${prefix}demo:` },
    });
    try {
      const { sessionId, token, status } = await tokenFor(server, DEMO.asha);
      assert.equal(status, DEMO.asha.status);
      const verified = await verifyStatusToken(token, { issuer: server.config.issuer, audience: DEMO.railway.id, sessionId, jwksUri: `${server.url}/.well-known/jwks.json` });
      assert.equal(verified.status, DEMO.asha.status);
      // The session lives in the cluster, under the service's prefix.
      assert.equal(await redis.exists(`${prefix}demo:session:session:${sessionId}`), 1);
    } finally {
      await server.close();
    }
  });
});
