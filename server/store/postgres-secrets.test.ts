// Hashing secrets: the data dir's file and PostgreSQL give the same kind of Secrets, stable across
// loads; in PostgreSQL generated once however many processes start together, seedable from an
// existing secrets.json without ever overwriting, and refused under another KEK or in another row.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { createTestDatabase } from '../../test-support/postgres.ts';
import { KEK_BYTES, KekError, KeyEncryptionKey } from './kek.ts';
import { loadPostgresSecrets } from './postgres-secrets.ts';
import { loadSecrets, SECRET_NAMES, type Secrets } from './secrets.ts';

const newKek = () => KeyEncryptionKey.fromBytes(crypto.randomBytes(KEK_BYTES));

const implementations: [string, () => Promise<() => Promise<Secrets>>][] = [
  [
    'data dir (secrets.json)',
    async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kycvs-secrets-'));
      after(() => fs.rmSync(dir, { recursive: true, force: true }));
      return async () => loadSecrets(dir);
    },
  ],
  [
    'PostgreSQL',
    async () => {
      const db = await createTestDatabase();
      const kek = newKek();
      const pools = [db.newPool(5), db.newPool(5)];
      let n = 0;
      return async () => loadPostgresSecrets(pools[n++ % 2]!, kek);
    },
  ],
];

for (const [name, storage] of implementations) {
  describe(`secrets: ${name}`, () => {
    test('every secret present, 32 random bytes, distinct per purpose', async () => {
      const load = await storage();
      const secrets = await load();
      assert.deepEqual(Object.keys(secrets).sort(), [...SECRET_NAMES].sort());
      for (const n of SECRET_NAMES) assert.equal(secrets[n].length, 32, n);
      assert.equal(new Set(SECRET_NAMES.map((n) => secrets[n].toString('hex'))).size, SECRET_NAMES.length);
    });

    test('20 processes loading at once (first start) all get the same secrets, and keep them', async () => {
      const load = await storage();
      const all = await Promise.all(Array.from({ length: 20 }, () => load()));
      for (const s of all) assert.deepEqual(s, all[0]);
      assert.deepEqual(await load(), all[0]);
    });
  });
}

describe('secrets in PostgreSQL', () => {
  test('seeded from an existing secrets.json on first load; a later seed never overwrites', async () => {
    const db = await createTestDatabase();
    const kek = newKek();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kycvs-secrets-'));
    const fromFile = loadSecrets(dir);
    fs.rmSync(dir, { recursive: true, force: true });
    assert.deepEqual(await loadPostgresSecrets(db.pool, kek, { seed: fromFile }), fromFile);
    const other = Object.fromEntries(SECRET_NAMES.map((n) => [n, crypto.randomBytes(32)])) as unknown as Secrets;
    assert.deepEqual(await loadPostgresSecrets(db.pool, kek, { seed: other }), fromFile);
  });

  test('another KEK: kek_mismatch, and nothing replaced', async () => {
    const db = await createTestDatabase();
    const kek = newKek();
    const first = await loadPostgresSecrets(db.pool, kek);
    await assert.rejects(loadPostgresSecrets(db.pool, newKek()), (err) => err instanceof KekError && err.code === 'kek_mismatch');
    assert.deepEqual(await loadPostgresSecrets(db.pool, kek), first);
  });

  test('a sealed secret copied into another secret’s row does not open there', async () => {
    const db = await createTestDatabase();
    const kek = newKek();
    await loadPostgresSecrets(db.pool, kek);
    await db.pool.query("UPDATE hashing_secrets SET sealed = (SELECT sealed FROM hashing_secrets WHERE name = 'subjectKey') WHERE name = 'mobileKey'");
    await assert.rejects(loadPostgresSecrets(db.pool, kek), (err) => err instanceof KekError && err.code === 'sealed_record_invalid');
  });
});
