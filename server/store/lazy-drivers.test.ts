// A service on one SQLite file never loads the PostgreSQL or Redis drivers: open-stores.ts imports
// those stores only when configured (with their packages, ~20 MB of a process's resident memory).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, test } from 'node:test';
import { spawnServer } from '../../test-support/child-server.ts';
import { distributedStoreEnv } from '../../test-support/harness.ts';

const RECORDER = fileURLToPath(new URL('../../test-support/resolve-recorder.mjs', import.meta.url));
const DRIVERS = ['pg', 'pg-copy-streams', 'ioredis', 'cluster-key-slot'];
const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kycvs-resolved-'));
after(() => fs.rmSync(logDir, { recursive: true, force: true }));

/** The packages a demo service imported by the time it listened and answered /healthz. */
async function packagesLoadedBy(name: string, env: Record<string, string>): Promise<Set<string>> {
  const log = path.join(logDir, `${name}.log`);
  const server = await spawnServer({ env: { ...env, KYCVS_TEST_RESOLVED_LOG: log }, nodeArgs: ['--import', RECORDER], startTimeoutMs: 60_000 });
  try {
    assert.equal((await server.api('GET', '/healthz')).status, 200);
    return new Set(fs.readFileSync(log, 'utf8').split('\n').filter(Boolean));
  } finally {
    await server.cleanup();
  }
}

test('a service on SQLite loads neither the PostgreSQL nor the Redis driver', async () => {
  const loaded = await packagesLoadedBy('sqlite', {});
  assert.ok(loaded.has('better-sqlite3') && loaded.has('express'), `the recorder saw the packages the service loads: ${[...loaded].join(', ')}`);
  for (const driver of DRIVERS) assert.ok(!loaded.has(driver), `${driver} was loaded`);
});

test('a service on PostgreSQL + Redis loads both drivers', async () => {
  const loaded = await packagesLoadedBy('distributed', await distributedStoreEnv());
  for (const driver of ['pg', 'ioredis']) assert.ok(loaded.has(driver), `${driver} was not loaded: ${[...loaded].join(', ')}`);
});
