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
      /key-encryption key.*openssl rand -base64 32/,
    );
    const settings = distributedStoreSettings(loadConfig({ KYCVS_DATABASE_URL: url, KYCVS_REDIS_URL: 'redis://127.0.0.1:6379', KYCVS_KEK: kek }));
    assert.ok(settings?.kek, 'the KEK is taken');
  });

  test('takes the KEK from a file the same as inline (the same key seals and opens), and refuses a short one without echoing it', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kycvs-kek-'));
    try {
      const file = path.join(dir, 'kek');
      fs.writeFileSync(file, `${kek}\n`);
      const sealed = loadConfig({ KYCVS_KEK: kek }).kek!.seal(Buffer.from('secret'), 'test');
      assert.equal(loadConfig({ KYCVS_KEK_FILE: file }).kek!.open(sealed, 'test').toString(), 'secret');
      const short = crypto.randomBytes(16).toString('base64');
      assert.throws(
        () => loadConfig({ KYCVS_KEK: short }),
        (err: Error) => /KYCVS_KEK must be base64 of 32 random bytes/.test(err.message) && !err.message.includes(short),
      );
      assert.throws(() => loadConfig({ KYCVS_KEK_FILE: path.join(dir, 'missing') }), /KYCVS_KEK_FILE: cannot read .* \(ENOENT\)/);
      assert.throws(() => loadConfig({ KYCVS_KEK: kek, KYCVS_KEK_FILE: file }), /not both/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
