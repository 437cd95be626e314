// The citizen's sign-in store, the same cases against SQLite and a real Redis: every move is a
// compare-and-set (racing calls: one wins), wrong codes lock at the limit, and in Redis every
// sign-in's key lives exactly until the sign-in's expiry.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { describe, test } from 'node:test';
import { connectTestRedis } from '../../test-support/redis.ts';
import { connectTestRedisCluster } from '../../test-support/redis-cluster.ts';
import { closeRedisClient, createRedisClient } from '../store/redis.ts';
import { openDatabase } from '../store/database.ts';
import { DatabaseUnavailableError } from '../store/unavailable.ts';
import { RedisSignInStore } from './redis-sign-in-store.ts';
import { type NewSignIn, type SignInStore, SqliteSignInStore } from './sign-in-store.ts';

const MINUTE = 60_000;
const hash = (label: string) => crypto.createHash('sha256').update(label).digest();
let seq = 0;

/** A fresh sign-in awaiting its first code, created `now`, its code phase ending in 10 minutes. */
function newSignIn(now = Date.now()): NewSignIn {
  const id = `msi_test${++seq}_${crypto.randomBytes(4).toString('hex')}`;
  return { id, mobileHash: hash(`mobile ${seq}`), createdAt: now, expiresAt: now + 10 * MINUTE, otpHash: hash(`code ${id}`), otpSentAt: now, otpExpiresAt: now + 5 * MINUTE };
}

const redisTest = await connectTestRedis();
const clusterTest = await connectTestRedisCluster();
const backends: { name: string; store: SignInStore }[] = [
  { name: 'SQLite', store: new SqliteSignInStore(openDatabase(':memory:')) },
  { name: 'Redis', store: new RedisSignInStore(redisTest.redis, { prefix: `${redisTest.prefix}me:` }) },
  { name: 'Redis Cluster', store: new RedisSignInStore(clusterTest.redis, { prefix: `${clusterTest.prefix}me:` }) },
];

for (const { name, store } of backends) {
  describe(`sign-in store contract: ${name}`, () => {
    test('create then get: every field as given, awaiting its code, one send; an unknown id is null; the same id twice is refused', async () => {
      const s = newSignIn();
      await store.create(s);
      assert.deepEqual(await store.get(s.id), {
        id: s.id,
        mobileHash: s.mobileHash,
        state: 'code_sent',
        createdAt: s.createdAt,
        expiresAt: s.expiresAt,
        otpHash: s.otpHash,
        otpSentAt: s.otpSentAt,
        otpExpiresAt: s.otpExpiresAt,
        sends: 1,
        failedAttempts: 0,
        secretHash: null,
      });
      assert.equal(await store.get('msi_nobody'), null);
      await assert.rejects(store.create({ ...s, mobileHash: hash('another') }));
      assert.deepEqual((await store.get(s.id))!.mobileHash, s.mobileHash);
    });

    test('resend: only from the send count that was read; 20 racing resends from one read: exactly one lands', async () => {
      const s = newSignIn();
      await store.create(s);
      const code = (i: number) => ({ otpHash: hash(`resent ${i}`), otpSentAt: s.createdAt + i, otpExpiresAt: s.createdAt + 5 * MINUTE + i });
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => store.recordResend(s.id, 1, code(i))));
      assert.equal(results.filter(Boolean).length, 1);
      const winner = results.indexOf(true);
      const after = (await store.get(s.id))!;
      assert.equal(after.sends, 2);
      assert.deepEqual([after.otpHash, after.otpSentAt, after.otpExpiresAt], [code(winner).otpHash, code(winner).otpSentAt, code(winner).otpExpiresAt]);
      assert.equal(await store.recordResend(s.id, 1, code(99)), false);
      assert.equal(await store.recordResend(s.id, 2, code(99)), true);
      assert.equal(await store.recordResend('msi_nobody', 0, code(1)), false);
    });

    test('wrong codes count up and lock at the limit (the code is dropped); 20 racing wrong codes: counts 1..5 once each, the rest refused', async () => {
      const s = newSignIn();
      await store.create(s);
      const counted = await Promise.all(Array.from({ length: 20 }, () => store.recordWrongCode(s.id, 5)));
      const real = counted.filter((c) => c !== null);
      assert.deepEqual(real.map((c) => c.failedAttempts).sort(), [1, 2, 3, 4, 5]);
      assert.deepEqual(real.filter((c) => c.locked).map((c) => c.failedAttempts), [5]);
      const locked = (await store.get(s.id))!;
      assert.deepEqual([locked.state, locked.failedAttempts, locked.otpHash], ['locked', 5, null]);
      assert.equal(await store.markSignedIn(s.id, s.otpHash, hash('secret'), Date.now() + MINUTE), false);
      assert.equal(await store.recordResend(s.id, 1, { otpHash: hash('x'), otpSentAt: 1, otpExpiresAt: 2 }), false);
      assert.equal(await store.recordWrongCode('msi_nobody', 5), null);
    });

    test('sign in: only with the code still stored, once; 20 racing sign-ins with the right code: exactly one; then sign out once', async () => {
      const s = newSignIn();
      await store.create(s);
      assert.equal(await store.markSignedIn(s.id, hash('a code replaced since'), hash('secret'), Date.now() + MINUTE), false);
      const expiresAt = Date.now() + 10 * MINUTE;
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => store.markSignedIn(s.id, s.otpHash, hash(`secret ${i}`), expiresAt)));
      assert.equal(results.filter(Boolean).length, 1);
      const signedIn = (await store.get(s.id))!;
      assert.deepEqual([signedIn.state, signedIn.otpHash, signedIn.secretHash, signedIn.expiresAt], ['signed_in', null, hash(`secret ${results.indexOf(true)}`), expiresAt]);
      assert.equal(await store.recordWrongCode(s.id, 5), null);
      await Promise.all([store.signOut(s.id), store.signOut(s.id)]);
      const out = (await store.get(s.id))!;
      assert.deepEqual([out.state, out.secretHash], ['signed_out', null]);
      assert.equal(await store.markSignedIn(s.id, s.otpHash, hash('again'), expiresAt), false);
      await store.signOut('msi_nobody');
    });

    test('signing out a sign-in still awaiting its code does nothing', async () => {
      const s = newSignIn();
      await store.create(s);
      await store.signOut(s.id);
      assert.equal((await store.get(s.id))!.state, 'code_sent');
    });
  });
}

describe('sign-in store: Redis keys and Redis away', () => {
  const store = backends[1]!.store;
  const keyOf = (id: string) => `${redisTest.prefix}me:${id}`;

  test("each sign-in's key lives until its expiry: the code phase's, then the signed-in time's; a sign-in already over is gone", async () => {
    const s = newSignIn();
    await store.create(s);
    const ttl = await redisTest.redis.pttl(keyOf(s.id));
    assert.ok(ttl > 10 * MINUTE - 5_000 && ttl <= 10 * MINUTE, `ttl ${ttl}`);
    assert.equal(await store.markSignedIn(s.id, s.otpHash, hash('secret'), Date.now() + 2 * MINUTE), true);
    const signedInTtl = await redisTest.redis.pttl(keyOf(s.id));
    assert.ok(signedInTtl > 2 * MINUTE - 5_000 && signedInTtl <= 2 * MINUTE, `ttl ${signedInTtl}`);

    const over = { ...newSignIn(), expiresAt: Date.now() - 1 };
    await store.create(over);
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(await store.get(over.id), null);
    // A late compare-and-set on an expired sign-in writes nothing (no key left without a TTL).
    assert.equal(await store.recordWrongCode(over.id, 5), null);
    assert.equal(await redisTest.redis.exists(keyOf(over.id)), 0);
  });

  test('every key the store wrote has a TTL', async () => {
    const keys = await redisTest.redis.keys(`${redisTest.prefix}me:*`);
    assert.ok(keys.length > 5);
    for (const key of keys) assert.ok((await redisTest.redis.pttl(key)) > 0, key);
  });

  test('Redis not there: a DatabaseUnavailableError (the API answers 503)', async () => {
    const absent = createRedisClient('redis://127.0.0.1:1');
    try {
      const away = new RedisSignInStore(absent);
      await assert.rejects(away.get('msi_x'), DatabaseUnavailableError);
      await assert.rejects(away.create(newSignIn()), DatabaseUnavailableError);
    } finally {
      await closeRedisClient(absent);
    }
  });
});
