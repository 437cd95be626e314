// Signing keys: rotation in the serving process and from another process sharing the data dir
// (as the CLI does), old tokens verifying until they expire, unknown keys refused, keys kept
// across restarts with private files 0600.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { verifyStatusToken } from '@kycvs/verifier';
import {
  DEMO,
  type TestServer,
  decodeJws,
  startTestServer,
  tokenFor,
  waitFor,
} from '../../test-support/harness.ts';
import { FileKeyStore, PUBLISH_AHEAD_SECONDS } from './key-store.ts';

const server = await startTestServer();
after(() => server.close());

const kidOf = (token: string) => decodeJws(token).header.kid as string;
const publishedKids = async (s: TestServer) =>
  ((await s.api('GET', '/.well-known/jwks.json')).body.keys as { kid: string }[]).map((k) => k.kid);

let fresh = 0;
/** Verifies like a host that has never fetched this JWKS before (a key set cached elsewhere would hide what is served). */
const verifyFresh = (s: TestServer, token: string, issuer = s.url) =>
  verifyStatusToken(token, { issuer, audience: DEMO.railway.id, jwksUri: `${s.url}/.well-known/jwks.json?host=${fresh++}` });

const rotators: [string, (s: TestServer) => Promise<string>][] = [
  ['keys.rotate() in the serving process', (s) => s.services.keys.rotate({ immediate: true })],
  ['another process sharing the data dir (the CLI)', async (s) => (await FileKeyStore.open(s.dataDir, s.config.tokenTtlSeconds)).rotate({ immediate: true })],
];

describe('rotation', () => {
  for (const [how, rotate] of rotators) {
    test(`${how}: the new key signs, the old token still verifies via the JWKS`, async () => {
      const old = await tokenFor(server, DEMO.asha);
      const oldKid = kidOf(old.token);
      const newKid = await rotate(server);
      assert.notEqual(newKid, oldKid);

      // The serving process picks the rotation up by itself (it re-reads the key manifest).
      await waitFor(async () => (await publishedKids(server)).includes(newKid), { what: 'the new key in the JWKS' });
      const kids = await publishedKids(server);
      assert.ok(kids.includes(oldKid), 'the retired key stays published while its tokens live');
      const next = await waitFor(async () => {
        const t = await tokenFor(server, DEMO.ravi);
        return kidOf(t.token) === newKid && t;
      }, { what: 'a token signed with the new key' });

      assert.equal((await verifyFresh(server, old.token)).status, 2, 'a token from before the rotation');
      assert.equal((await verifyFresh(server, next.token)).status, 1, 'a token from after the rotation');
    });
  }

  test('a retired key leaves the JWKS once every token it signed has expired; the current key never does', async () => {
    const retiredKid = (await server.services.keys.signingKey()).kid;
    const currentKid = await server.services.keys.rotate({ immediate: true });
    await waitFor(async () => (await server.services.keys.signingKey()).kid === currentKid, { what: 'the rotation to load' });
    const kidsAt = async (ms: number) => (await server.services.keys.publicKeys(Date.now() + ms)).map((k) => k.kid);
    const ttlMs = server.config.tokenTtlSeconds * 1000;
    assert.ok((await kidsAt(ttlMs)).includes(retiredKid), 'still there while its last token may be valid');
    const later = await kidsAt(ttlMs + 120_000);
    assert.ok(!later.includes(retiredKid), 'gone once its tokens have expired');
    assert.deepEqual(later, [currentKid]);
  });
});

describe('staged rotation (the default)', () => {
  test('the new key is published at once but signs only after PUBLISH_AHEAD_SECONDS, so no verifier meets an unfetched kid', async () => {
    const { keys } = server.services;
    const before = (await keys.signingKey()).kid;
    const staged = await keys.rotate();
    assert.ok((await publishedKids(server)).includes(staged), 'published before it signs');
    assert.equal((await keys.signingKey()).kid, before, 'the previous key still signs');
    assert.equal(kidOf((await tokenFor(server, DEMO.asha)).token), before);
    const later = Date.now() + (PUBLISH_AHEAD_SECONDS + 1) * 1000;
    assert.equal((await keys.signingKey(later)).kid, staged, 'the staged key signs once its time has come');
    const ttlMs = server.config.tokenTtlSeconds * 1000;
    assert.ok((await keys.publicKeys(later + ttlMs)).some((k) => k.kid === before), 'the old key outlives its last token');
    await keys.rotate({ immediate: true }); // leave the server signing with a started key for the other tests
  });
});

describe('unknown keys', () => {
  test('a token signed by another KYC-VS instance’s key does not verify against this JWKS', async () => {
    const other = await startTestServer();
    try {
      const { token } = await tokenFor(other, DEMO.asha);
      await assert.rejects(
        verifyStatusToken(token, { issuer: other.url, audience: DEMO.railway.id, jwksUri: `${server.url}/.well-known/jwks.json?other` }),
        { name: 'StatusTokenError', code: 'key_unknown' },
      );
    } finally {
      await other.close();
    }
  });
});

describe('key storage', () => {
  test('keys survive a restart: same JWKS, earlier tokens verify', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kycvs-restart-'));
    const first = await startTestServer({ dataDir });
    const { token } = await tokenFor(first, DEMO.arjun);
    const kidsBefore = await publishedKids(first);
    const issuerBefore = first.url;
    await first.close();
    const again = await startTestServer({ dataDir });
    try {
      assert.deepEqual(await publishedKids(again), kidsBefore);
      assert.equal((await verifyFresh(again, token, issuerBefore)).status, 2);
    } finally {
      await again.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test('private keys are written 0600 in a 0700 folder', () => {
    const dir = path.join(server.dataDir, 'keys');
    assert.equal(fs.statSync(dir).mode & 0o777, 0o700);
    const privates = fs.readdirSync(dir).filter((f) => f.endsWith('.private.pem'));
    assert.ok(privates.length >= 1);
    for (const f of privates) assert.equal(fs.statSync(path.join(dir, f)).mode & 0o777, 0o600, f);
  });
});
