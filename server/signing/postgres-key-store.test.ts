// What PostgresKeyStore adds to the key-store contract (key-store.contract.test.ts runs that on both
// stores): one first key however many processes start at once, racing rotations all applied in
// order, a rotation reaching another process within the refresh interval (the bound that keeps
// every JWKS ahead of every signer), no database round trip per token, a wrong KEK refused at start,
// and a process cut off from the database refusing to sign once its key set is too old.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, describe, test } from 'node:test';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { createTestDatabase } from '../../test-support/postgres.ts';
import { KEK_BYTES, KekError, KeyEncryptionKey } from '../store/kek.ts';
import { DatabaseUnavailableError } from '../store/unavailable.ts';
import { PUBLISH_AHEAD_SECONDS } from './key-store.ts';
import { KEY_REFRESH_INTERVAL_MS, MAX_KEY_SET_AGE_MS, PostgresKeyStore, type PostgresKeyStoreOptions } from './postgres-key-store.ts';
import { StatusTokenSigner } from './status-token.ts';

const TTL_SECONDS = 300;
const ISSUER = 'https://kycvs.test';
const STATEMENT_TIMEOUT_MS = 5_000; // createPool's default: the longest one refresh query may take
const newKek = () => KeyEncryptionKey.fromBytes(crypto.randomBytes(KEK_BYTES));
const input = { clientId: 'railway', subject: 'sub-1', sessionId: 'txn-1', nonce: null, status: 2 as const };

const stores: PostgresKeyStore[] = [];
async function openStore(options: Omit<PostgresKeyStoreOptions, 'tokenTtlSeconds'> & { tokenTtlSeconds?: number }): Promise<PostgresKeyStore> {
  const store = await PostgresKeyStore.open({ tokenTtlSeconds: TTL_SECONDS, ...options });
  stores.push(store);
  return store;
}
after(() => Promise.all(stores.map((s) => s.close())));

describe('PostgresKeyStore', () => {
  test('the defaults keep every JWKS ahead of every signer: refresh + one statement, and the staleness limit, below the publish lead', () => {
    assert.ok(KEY_REFRESH_INTERVAL_MS + STATEMENT_TIMEOUT_MS < PUBLISH_AHEAD_SECONDS * 1000);
    assert.ok(KEY_REFRESH_INTERVAL_MS < MAX_KEY_SET_AGE_MS && MAX_KEY_SET_AGE_MS < PUBLISH_AHEAD_SECONDS * 1000);
  });

  test('20 processes starting at once on an empty database make one key, and all sign with it', async () => {
    const db = await createTestDatabase();
    const kek = newKek();
    const pools = Array.from({ length: 4 }, () => db.newPool(5));
    const opened = await Promise.all(Array.from({ length: 20 }, (_, i) => openStore({ pool: pools[i % 4]!, kek })));
    const { rows } = await db.pool.query('SELECT generation, kid FROM signing_keys');
    assert.equal(rows.length, 1);
    const kids = new Set(await Promise.all(opened.map(async (s) => (await s.signingKey()).kid)));
    assert.deepEqual([...kids], [rows[0].kid]);
  });

  test('racing rotations from several processes: each makes a key, generations stay 1…n, exactly one key is not retired', async () => {
    const db = await createTestDatabase();
    const kek = newKek();
    const opened = await Promise.all(Array.from({ length: 4 }, () => db.newPool(3)).map((pool) => openStore({ pool, kek, refreshIntervalMs: 200 })));
    const now = Date.now();
    const made = await Promise.all(Array.from({ length: 8 }, (_, i) => opened[i % 4]!.rotate({}, now)));
    assert.equal(new Set(made).size, 8);
    const { rows } = await db.pool.query<{ generation: number; kid: string; retired_at: number | null }>(
      'SELECT generation, kid, retired_at FROM signing_keys ORDER BY generation',
    );
    assert.deepEqual(rows.map((r) => r.generation), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const live = rows.filter((r) => r.retired_at === null);
    assert.equal(live.length, 1);
    await Promise.all(opened.map((s) => s.refresh()));
    const later = now + (PUBLISH_AHEAD_SECONDS + 1) * 1000;
    for (const s of opened) assert.equal((await s.signingKey(later)).kid, live[0]!.kid, 'every process signs with the last key');
  });

  test('a rotation on A reaches B within the refresh interval; after signs_from both sign with the new key, each token verifying against the other’s JWKS', async () => {
    const db = await createTestDatabase();
    const kek = newKek();
    const refreshIntervalMs = 1_000;
    const a = await openStore({ pool: db.newPool(2), kek, refreshIntervalMs });
    const b = await openStore({ pool: db.newPool(2), kek, refreshIntervalMs });
    const before = (await b.signingKey()).kid;
    const rotatedAt = Date.now();
    const staged = await a.rotate({}, rotatedAt);
    const committedAt = Date.now();
    while (!(await b.publicKeys()).some((k) => k.kid === staged)) await new Promise((r) => setTimeout(r, 20));
    const seenAfterMs = Date.now() - committedAt;
    // One interval, plus the refresh's own query and this loop's polling (generous: a loaded CI machine).
    assert.ok(seenAfterMs <= refreshIntervalMs + 1_000, `B published the new key ${seenAfterMs} ms after the rotation committed`);
    assert.equal((await b.signingKey()).kid, before, 'B does not sign with it before its time');

    const signsFrom = rotatedAt + PUBLISH_AHEAD_SECONDS * 1000;
    const fromA = await new StatusTokenSigner(a, ISSUER, TTL_SECONDS).sign(input, signsFrom + 1);
    const fromB = await new StatusTokenSigner(b, ISSUER, TTL_SECONDS).sign(input, signsFrom + 1);
    for (const [token, verifier] of [[fromA.token, b], [fromB.token, a]] as const) {
      const jwks = createLocalJWKSet({ keys: await verifier.publicKeys(signsFrom + 1) });
      const { protectedHeader, payload } = await jwtVerify(token, jwks, { issuer: ISSUER, audience: 'railway', currentDate: new Date(signsFrom + 1) });
      assert.equal(protectedHeader.kid, staged);
      assert.equal(payload.vaccination_status, 2);
    }
  });

  test('signing makes no database round trip (the key set is in memory)', async () => {
    const db = await createTestDatabase();
    const pool = db.newPool(2);
    const store = await openStore({ pool, kek: newKek() });
    let calls = 0;
    // Counts every statement and checkout the store could make on its pool from here on.
    type Spied = Record<'query' | 'connect', (...args: unknown[]) => unknown>;
    const spied = pool as unknown as Spied;
    for (const method of ['query', 'connect'] as const) {
      const original = spied[method].bind(pool);
      spied[method] = (...args) => {
        calls++;
        return original(...args);
      };
    }
    const signer = new StatusTokenSigner(store, ISSUER, TTL_SECONDS);
    for (let i = 0; i < 200; i++) await signer.sign(input);
    await store.publicKeys();
    assert.equal(calls, 0);
  });

  test('another KEK than the one the keys were sealed with: refused at open with kek_mismatch, no key made', async () => {
    const db = await createTestDatabase();
    await openStore({ pool: db.newPool(2), kek: newKek() });
    await assert.rejects(openStore({ pool: db.newPool(2), kek: newKek() }), (err) => err instanceof KekError && err.code === 'kek_mismatch');
    const { rows } = await db.pool.query('SELECT count(*)::int AS n FROM signing_keys');
    assert.equal(rows[0].n, 1);
  });

  test('cut off from the database: keeps its key set for a while, then refuses to sign or publish (503) rather than serve a stale one', async () => {
    const db = await createTestDatabase();
    const pool = db.newPool(2);
    const errors: unknown[] = [];
    const store = await openStore({ pool, kek: newKek(), refreshIntervalMs: 100, maxKeySetAgeMs: 600, onRefreshError: (e) => errors.push(e) });
    await pool.end();
    assert.ok((await store.signingKey()).kid, 'still signs right after');
    await new Promise((r) => setTimeout(r, 900));
    assert.ok(errors.length >= 2, 'the failed refreshes are reported');
    await assert.rejects(store.signingKey(), DatabaseUnavailableError);
    await assert.rejects(store.publicKeys(), DatabaseUnavailableError);
  });

  test('a refresh interval that breaks the bound is refused', async () => {
    const db = await createTestDatabase();
    await assert.rejects(openStore({ pool: db.pool, kek: newKek(), refreshIntervalMs: MAX_KEY_SET_AGE_MS }), RangeError);
    await assert.rejects(openStore({ pool: db.pool, kek: newKek(), maxKeySetAgeMs: MAX_KEY_SET_AGE_MS + 1 }), RangeError);
  });
});
