import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '../../config.ts';

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
