// One contract for both key stores — the data dir's files (FileKeyStore) and PostgreSQL
// (PostgresKeyStore) — each case with two stores on the same storage, as two processes: the first
// key made once, staged and immediate rotation seen by the other process, retired keys published
// until their tokens expire, and tokens signed by one process verifying against the other's JWKS.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { createTestDatabase } from '../../test-support/postgres.ts';
import { KEK_BYTES, KeyEncryptionKey } from '../store/kek.ts';
import { FileKeyStore, type KeyStore, PUBLISH_AHEAD_SECONDS } from './key-store.ts';
import { PostgresKeyStore } from './postgres-key-store.ts';
import { StatusTokenSigner } from './status-token.ts';

const TTL_SECONDS = 300;
const ISSUER = 'https://kycvs.test';

interface Storage {
  /** A store as one process opens it; every call is another process on the same storage. */
  open(): Promise<KeyStore>;
}

const opened: KeyStore[] = [];
after(async () => {
  await Promise.all(opened.map((s) => s.close()));
});

const implementations: [string, () => Promise<Storage>][] = [
  [
    'FileKeyStore (data dir)',
    async () => {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kycvs-keys-'));
      after(() => fs.rmSync(dataDir, { recursive: true, force: true }));
      return { open: async () => remember(await FileKeyStore.open(dataDir, TTL_SECONDS)) };
    },
  ],
  [
    'PostgresKeyStore',
    async () => {
      const db = await createTestDatabase();
      const kek = KeyEncryptionKey.fromBytes(crypto.randomBytes(KEK_BYTES));
      // Each "process" on its own pool; a short refresh interval so the test need not wait 10 s.
      return { open: async () => remember(await PostgresKeyStore.open({ pool: db.newPool(2), kek, tokenTtlSeconds: TTL_SECONDS, refreshIntervalMs: 200 })) };
    },
  ],
];

function remember<S extends KeyStore>(store: S): S {
  opened.push(store);
  return store;
}

const kids = async (store: KeyStore, now?: number) => (await store.publicKeys(now)).map((k) => k.kid);

/** Waits until `store` (another process) publishes `kid`: its manifest re-read, or its background refresh. */
async function published(store: KeyStore, kid: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!(await kids(store)).includes(kid)) {
    if (Date.now() > deadline) assert.fail(`${kid} not published within 5 s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function verifyWith(verifier: KeyStore, token: string, at: number) {
  const jwks = createLocalJWKSet({ keys: await verifier.publicKeys(at) });
  return jwtVerify(token, jwks, { issuer: ISSUER, audience: 'railway', currentDate: new Date(at) });
}

const input = { clientId: 'railway', subject: 'sub-1', sessionId: 'txn-1', nonce: null, status: 2 as const };

for (const [name, storage] of implementations) {
  describe(name, () => {
    test('the first open makes one key; another process signs with it and publishes it', async () => {
      const s = await storage();
      const a = await s.open();
      const b = await s.open();
      const kid = (await a.signingKey()).kid;
      assert.equal((await b.signingKey()).kid, kid);
      assert.deepEqual(await kids(a), [kid]);
      assert.deepEqual(await kids(b), [kid]);
    });

    test('staged rotation: published by every process at once, signing only from PUBLISH_AHEAD_SECONDS on, by both', async () => {
      const s = await storage();
      const a = await s.open();
      const b = await s.open();
      const before = (await a.signingKey()).kid;
      const now = Date.now();
      const staged = await a.rotate({}, now);
      assert.ok((await kids(a)).includes(staged), 'the rotating process publishes it at once');
      await published(b, staged);
      assert.equal((await a.signingKey()).kid, before, 'the previous key still signs');
      assert.equal((await b.signingKey()).kid, before);
      const signsFrom = now + PUBLISH_AHEAD_SECONDS * 1000;
      for (const store of [a, b]) {
        assert.equal((await store.signingKey(signsFrom - 1)).kid, before);
        assert.equal((await store.signingKey(signsFrom)).kid, staged);
      }
    });

    test('tokens signed by either process verify against the other’s JWKS, before and after the switch', async () => {
      const s = await storage();
      const a = await s.open();
      const b = await s.open();
      const signerA = new StatusTokenSigner(a, ISSUER, TTL_SECONDS);
      const signerB = new StatusTokenSigner(b, ISSUER, TTL_SECONDS);
      const now = Date.now();
      const early = await signerB.sign(input, now);
      const staged = await a.rotate({}, now);
      await published(b, staged);
      const after = now + (PUBLISH_AHEAD_SECONDS + 1) * 1000;
      const fromA = await signerA.sign(input, after);
      const fromB = await signerB.sign(input, after);
      for (const [token, verifier] of [[fromA.token, b], [fromB.token, a]] as const) {
        const { protectedHeader } = await verifyWith(verifier, token, after);
        assert.equal(protectedHeader.kid, staged);
      }
      assert.notEqual((await verifyWith(a, early.token, after)).protectedHeader.kid, staged, 'an earlier token still verifies');
    });

    test('a retired key stays published while its tokens may be valid, then leaves; the current key never does', async () => {
      const s = await storage();
      const a = await s.open();
      const b = await s.open();
      const retired = (await a.signingKey()).kid;
      const now = Date.now();
      const current = await a.rotate({ immediate: true }, now);
      await published(b, current);
      assert.equal((await b.signingKey()).kid, current, 'immediate: the other process signs with it at once');
      const ttlMs = TTL_SECONDS * 1000;
      for (const store of [a, b]) {
        assert.ok((await kids(store, now + ttlMs)).includes(retired));
        assert.deepEqual(await kids(store, now + ttlMs + 120_000), [current]);
      }
    });

    test('an immediate rotation while one is staged (a compromise): the staged key never signs', async () => {
      const s = await storage();
      const a = await s.open();
      const now = Date.now();
      const staged = await a.rotate({}, now);
      const replacement = await a.rotate({ immediate: true }, now + 1000);
      assert.equal((await a.signingKey(now + 1000)).kid, replacement);
      assert.equal((await a.signingKey(now + (PUBLISH_AHEAD_SECONDS + 5) * 1000)).kid, replacement, 'not the staged key at its signs_from');
      assert.ok(!(await kids(a, now + 1000 + (TTL_SECONDS + 61) * 1000)).includes(staged));
    });

    test('keys survive a restart: a process opened later publishes the same keys and signs with the same key', async () => {
      const s = await storage();
      const a = await s.open();
      const staged = await a.rotate();
      const kidsBefore = await kids(a);
      await a.close();
      const later = await s.open();
      assert.deepEqual((await kids(later)).sort(), kidsBefore.sort());
      assert.ok(kidsBefore.includes(staged));
      assert.equal((await later.signingKey()).kid, (await a.signingKey()).kid);
    });
  });
}
