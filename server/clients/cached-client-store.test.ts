// The in-process client cache over PostgreSQL: what another process changes (a revoked key, a
// disabled client, a new client) is seen here within the TTL; what this process changes, at once;
// the cache stays bounded, and invented keys are neither cached nor able to push real ones out.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { seenWithinTtl, waitFor } from '../../test-support/harness.ts';
import { createTestDatabase } from '../../test-support/postgres.ts';
import { CachedClientStore } from './cached-client-store.ts';
import type { Client, ClientStore } from './clients.ts';
import { PostgresClientStore } from './postgres-client-store.ts';

const API_KEY_KEY = Buffer.alloc(32, 9);
const db = await createTestDatabase();
/** Two service processes: each its own pool, its own store, its own cache. */
const storeA = new PostgresClientStore(db.pool, API_KEY_KEY);
const storeB = new PostgresClientStore(db.newPool(), API_KEY_KEY);
const base = { name: 'Cache Verifier', purpose: 'Testing', allowedOrigins: [] };

/** The real store, counting the reads that reach it and optionally holding them at a gate. */
function counted(inner: ClientStore): { store: ClientStore; reads: () => number; hold: () => () => void } {
  let reads = 0;
  let gate: Promise<void> | null = null;
  const through = <T>(read: () => Promise<T>) => async (): Promise<T> => {
    reads++;
    const result = await read();
    if (gate) await gate;
    return result;
  };
  const store: ClientStore = {
    get: (id) => through(() => inner.get(id))(),
    authenticate: (key) => through(() => inner.authenticate(key))(),
    list: () => inner.list(),
    create: (client) => inner.create(client),
    update: (id, changes) => inner.update(id, changes),
    setStatus: (id, status) => inner.setStatus(id, status),
    rotateKey: (id, options) => inner.rotateKey(id, options),
    ensureKey: (id, key) => inner.ensureKey(id, key),
    revokeKey: (id, keyId) => inner.revokeKey(id, keyId),
    keys: (id) => inner.keys(id),
    setWebhook: (id, url, policy) => inner.setWebhook(id, url, policy),
    webhookTarget: (id) => inner.webhookTarget(id),
  };
  return {
    store,
    reads: () => reads,
    hold() {
      let open!: () => void;
      gate = new Promise((resolve) => (open = resolve));
      return () => {
        gate = null;
        open();
      };
    },
  };
}

describe('a change made by another process is seen within the TTL', () => {
  const TTL = 300;

  test('a key revoked on B stops working on A within the TTL (and A did serve it from its cache until then)', async () => {
    const { apiKey } = await storeB.create({ id: 'x-revoke', ...base });
    const a = counted(storeA);
    const cachedA = new CachedClientStore(a.store, { ttlMs: TTL });
    const filledFrom = Date.now();
    assert.equal((await cachedA.authenticate(apiKey))!.id, 'x-revoke');
    const [key] = await storeB.keys('x-revoke');
    await storeB.revokeKey('x-revoke', key!.id);
    const revokedAt = Date.now();
    const readsBefore = a.reads();
    const checkBegan = Date.now();
    const stale = await cachedA.authenticate(apiKey);
    // A check begun within the TTL of the read that filled the entry is answered from it (a slower machine may be past it).
    if (checkBegan < filledFrom + TTL) {
      assert.ok(stale, 'still cached right after: the staleness the TTL allows');
      assert.equal(a.reads(), readsBefore, 'answered from the cache');
    }
    await seenWithinTtl(revokedAt, TTL, async () => (await cachedA.authenticate(apiKey)) === null);
  });

  test('a client disabled on B is disabled on A within the TTL, by id and by key', async () => {
    const { apiKey } = await storeB.create({ id: 'x-disable', ...base });
    const cachedA = new CachedClientStore(storeA, { ttlMs: TTL });
    assert.equal((await cachedA.get('x-disable'))!.status, 'active');
    assert.equal((await cachedA.authenticate(apiKey))!.status, 'active');
    await storeB.setStatus('x-disable', 'disabled');
    const disabledAt = Date.now();
    await seenWithinTtl(disabledAt, TTL, async () => (await cachedA.get('x-disable'))!.status === 'disabled' && (await cachedA.authenticate(apiKey))!.status === 'disabled');
  });

  test('two caches (two processes, B writing through its own): B sees its change at once, A within the TTL', async () => {
    const cachedA = new CachedClientStore(storeA, { ttlMs: TTL });
    const cachedB = new CachedClientStore(storeB, { ttlMs: TTL });
    const { apiKey } = await cachedB.create({ id: 'x-two', ...base });
    assert.ok(await cachedA.authenticate(apiKey));
    assert.ok(await cachedB.authenticate(apiKey));
    await cachedB.rotateKey('x-two', { revokeOthers: true });
    const rotatedAt = Date.now();
    await cachedB.update('x-two', { name: 'Renamed Verifier' });
    assert.equal(await cachedB.authenticate(apiKey), null, 'B: at once');
    assert.equal((await cachedB.get('x-two'))!.name, 'Renamed Verifier', 'B: at once');
    await seenWithinTtl(rotatedAt, TTL, async () => (await cachedA.authenticate(apiKey)) === null);
  });

  test('a client created on B is seen on A at its first lookup: unknown answers are not cached', async () => {
    const cachedA = new CachedClientStore(storeA, { ttlMs: 60_000 });
    assert.equal(await cachedA.get('x-new'), null);
    assert.equal(await cachedA.authenticate('kvs_not_yet_issued_key_00000000'), null);
    await storeB.create({ id: 'x-new', ...base });
    await storeB.ensureKey('x-new', 'kvs_not_yet_issued_key_00000000');
    assert.equal((await cachedA.get('x-new'))!.id, 'x-new');
    assert.equal((await cachedA.authenticate('kvs_not_yet_issued_key_00000000'))!.id, 'x-new');
  });
});

describe('what the cache holds', () => {
  test('hits within the TTL do not reach the database; expiry is counted from when the read began', async () => {
    const { apiKey } = await storeA.create({ id: 'x-hits', ...base });
    const a = counted(storeA);
    let now = 1_000_000;
    const cached = new CachedClientStore(a.store, { ttlMs: 5_000, now: () => now });
    for (let i = 0; i < 5; i++) {
      assert.equal((await cached.get('x-hits'))!.id, 'x-hits');
      assert.equal((await cached.authenticate(apiKey))!.id, 'x-hits');
    }
    assert.equal(a.reads(), 2);
    now += 4_999;
    await cached.get('x-hits');
    assert.equal(a.reads(), 2, 'still fresh');
    now += 1;
    await cached.get('x-hits');
    assert.equal(a.reads(), 3, 'expired at exactly the TTL');
  });

  test('bounded: the least recently used entries go; 500 invented keys and ids are not cached and push nothing out', async () => {
    const a = counted(storeA);
    const cached = new CachedClientStore(a.store, { ttlMs: 60_000, maxEntries: 3 });
    const keys: string[] = [];
    for (let i = 0; i < 5; i++) keys.push((await storeA.create({ id: `x-lru-${i}`, ...base })).apiKey);
    for (const key of keys) await cached.authenticate(key);
    assert.deepEqual(cached.size, { byId: 0, byKey: 3 });
    const reads = a.reads();
    await cached.authenticate(keys[4]!);
    await cached.authenticate(keys[2]!);
    assert.equal(a.reads(), reads, 'the 3 most recent are held');
    await cached.authenticate(keys[0]!);
    assert.equal(a.reads(), reads + 1, 'the oldest was evicted');

    // In rounds of 25: 500 at once would queue behind the pool's 4 connections past its 2 s connect
    // timeout on a busy machine (a 503 by design), which is not what this test is about.
    for (let round = 0; round < 20; round++) {
      const ids = Array.from({ length: 25 }, (_, j) => round * 25 + j);
      await Promise.all(ids.map((i) => cached.authenticate(`kvs_invented_${String(i).padStart(30, '0')}`)));
      await Promise.all(ids.map((i) => cached.get(`no-such-${i}`)));
    }
    assert.deepEqual(cached.size, { byId: 0, byKey: 3 });
    const before = a.reads();
    await cached.authenticate(keys[0]!);
    await cached.authenticate(keys[2]!);
    assert.equal(a.reads(), before, 'the real entries survived the flood');
  });

  test('a read begun before a write through the wrapper does not cache what it saw', async () => {
    await storeA.create({ id: 'x-inflight', ...base });
    const a = counted(storeA);
    const cached = new CachedClientStore(a.store, { ttlMs: 60_000 });
    const release = a.hold();
    const early = cached.get('x-inflight'); // reads "active", then waits at the gate
    await waitFor(() => a.reads() === 1, { timeoutMs: 2_000, what: 'the early read' });
    await sleep(20);
    await cached.setStatus('x-inflight', 'disabled');
    release();
    const seen: Client | null = await early;
    assert.equal(seen!.status, 'active', 'the early read saw the old row');
    assert.equal((await cached.get('x-inflight'))!.status, 'disabled', 'and did not cache it');
  });

  test('callers get copies: changing one does not change the cache', async () => {
    await storeA.create({ id: 'x-copy', ...base, allowedOrigins: ['https://copy.example'] });
    const cached = new CachedClientStore(storeA);
    const first = (await cached.get('x-copy'))!;
    first.allowedOrigins.push('https://evil.example');
    first.status = 'disabled';
    const second = (await cached.get('x-copy'))!;
    assert.deepEqual([second.allowedOrigins, second.status], [['https://copy.example'], 'active']);
  });
});
