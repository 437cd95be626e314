// `npm run cli -- db migrate`, run as an operator runs it: its own process, the real PostgreSQL.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createTestDatabase } from '../../../test-support/postgres.ts';
import { appliedVersions, readMigrations } from './migrate.ts';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kycvs-db-cli-'));
after(() => fs.rmSync(dataDir, { recursive: true, force: true }));

function cli(databaseUrl: string | null, ...args: string[]) {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? dataDir, KYCVS_DATA_DIR: dataDir };
  if (databaseUrl) env.KYCVS_DATABASE_URL = databaseUrl;
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'server/cli/main.ts', ...args], { cwd: REPO_ROOT, env, encoding: 'utf8' });
  return { status: run.status, stdout: run.stdout.trim(), stderr: run.stderr.trim() };
}

describe('cli: db migrate', () => {
  it('refuses in one line without KYCVS_DATABASE_URL, touching nothing', () => {
    const run = cli(null, 'db', 'migrate');
    assert.equal(run.status, 1);
    assert.equal(run.stderr.split('\n').length, 1);
    assert.match(run.stderr, /needs KYCVS_DATABASE_URL/);
    assert.deepEqual(fs.readdirSync(dataDir), [], 'no SQLite file or secrets made');
  });

  it('applies the migrations and prints their versions; a second run applies nothing', async () => {
    const db = await createTestDatabase({ migrate: false });
    const first = cli(db.url, 'db', 'migrate');
    assert.equal(first.status, 0, first.stderr);
    assert.equal(first.stdout, `applied ${readMigrations().map((m) => String(m.version).padStart(3, '0')).join(', ')}`);
    assert.deepEqual(await appliedVersions(db.pool), readMigrations().map((m) => m.version));
    const second = cli(db.url, 'db', 'migrate');
    assert.equal(second.status, 0, second.stderr);
    assert.equal(second.stdout, 'schema up to date: nothing to apply');
  });
});
