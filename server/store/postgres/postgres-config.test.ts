import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { distributedStoreSettings, loadConfig } from '../../config.ts';

test('without KYCVS_DATABASE_URL the service stays on SQLite; the pool defaults to 10', () => {
  assert.deepEqual(loadConfig({}).postgres, { url: null, poolSize: 10 });
});

test('KYCVS_DATABASE_URL selects PostgreSQL, sized by KYCVS_DB_POOL_SIZE', () => {
  const config = loadConfig({ KYCVS_DATABASE_URL: 'postgres://kycvs@db.internal:5432/kycvs', KYCVS_DB_POOL_SIZE: '32' });
  assert.deepEqual(config.postgres, { url: 'postgres://kycvs@db.internal:5432/kycvs', poolSize: 32 });
});

test('a URL that is not postgres:// and a pool size out of range are refused, not ignored', () => {
  assert.throws(() => loadConfig({ KYCVS_DATABASE_URL: 'mysql://db/kycvs' }), /KYCVS_DATABASE_URL must be a postgres:\/\//);
  assert.throws(() => loadConfig({ KYCVS_DB_POOL_SIZE: '0' }), /KYCVS_DB_POOL_SIZE must be an integer from 1 to 1000/);
});

describe('a service on PostgreSQL', () => {
  const kek = crypto.randomBytes(32).toString('base64');
  const url = 'postgres://kycvs@db.internal:5432/kycvs';

  test('needs Redis and a key-encryption key, each refusal saying what to set', () => {
    assert.equal(distributedStoreSettings(loadConfig({})), null, 'SQLite needs neither');
    assert.throws(() => distributedStoreSettings(loadConfig({ KYCVS_DATABASE_URL: url, KYCVS_KEK: kek })), /needs KYCVS_REDIS_URL/);
    assert.throws(
      () => distributedStoreSettings(loadConfig({ KYCVS_DATABASE_URL: url, KYCVS_REDIS_URL: 'redis://127.0.0.1:6379' })),
      /KYCVS_KEK to the output of `openssl rand -base64 32`/,
    );
    const settings = distributedStoreSettings(loadConfig({ KYCVS_DATABASE_URL: url, KYCVS_REDIS_URL: 'redis://127.0.0.1:6379', KYCVS_KEK: kek }));
    assert.deepEqual(settings?.kek, Buffer.from(kek, 'base64'));
  });

  test('takes the KEK from a file, and refuses one that is not 32 bytes of base64 without echoing it', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kycvs-kek-'));
    try {
      const file = path.join(dir, 'kek');
      fs.writeFileSync(file, `${kek}\n`);
      assert.deepEqual(loadConfig({ KYCVS_KEK_FILE: file }).kek, Buffer.from(kek, 'base64'));
      const short = crypto.randomBytes(16).toString('base64');
      assert.throws(
        () => loadConfig({ KYCVS_KEK: short }),
        (err: Error) => /KYCVS_KEK must hold base64 of exactly 32 bytes/.test(err.message) && !err.message.includes(short),
      );
      assert.throws(() => loadConfig({ KYCVS_KEK_FILE: path.join(dir, 'missing') }), /KYCVS_KEK_FILE: cannot read .* \(ENOENT\)/);
      assert.throws(() => loadConfig({ KYCVS_KEK: kek, KYCVS_KEK_FILE: file }), /not both/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
