// Finding (outside review, issue 9 item 7): the registry database and its WAL were created 0644 —
// readable by every local user, and the registry is health data. Now the data dir is 0700 and
// every file of the database (main file, -wal, -shm) 0600, whatever the process umask; a data dir
// left by an older version (0755 dir, 0644 files) is tightened when the service or the CLI starts.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { DATABASE_FILE } from '../server/services.ts';
import { DEMO, RAILWAY, createSession, requestOtp, startTestServer } from '../test-support/harness.ts';

const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url));
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'kycvs-modes-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));

const modeOf = (p: string) => fs.statSync(p).mode & 0o777;
const octal = (m: number) => `0${m.toString(8)}`;

/** Every file and dir of the data dir that only the service's user may read, with its mode. */
function modes(dataDir: string): Record<string, string> {
  const db = path.join(dataDir, DATABASE_FILE);
  const entries: [string, string][] = [
    ['data dir', dataDir],
    ['keys dir', path.join(dataDir, 'keys')],
    ['secrets.json', path.join(dataDir, 'secrets.json')],
    [DATABASE_FILE, db],
    [`${DATABASE_FILE}-wal`, `${db}-wal`],
    [`${DATABASE_FILE}-shm`, `${db}-shm`],
  ];
  return Object.fromEntries(entries.filter(([, p]) => fs.existsSync(p)).map(([what, p]) => [what, octal(modeOf(p))]));
}

const PRIVATE: Record<string, string> = {
  'data dir': '0700',
  'keys dir': '0700',
  'secrets.json': '0600',
  [DATABASE_FILE]: '0600',
  [`${DATABASE_FILE}-wal`]: '0600',
  [`${DATABASE_FILE}-shm`]: '0600',
};

describe('finding: database files readable by every local user', () => {
  test('a fresh data dir is 0700 and the database, its WAL and its shared memory 0600 (umask 022), while serving', async (t) => {
    const previous = process.umask(0o022);
    const dataDir = path.join(root, 'fresh', 'data');
    try {
      const server = await startTestServer({ dataDir });
      try {
        // Writes, so the WAL and shared-memory files exist and hold data.
        const id = await createSession(server, RAILWAY);
        await requestOtp(server, id, DEMO.asha, RAILWAY);
        assert.deepEqual(modes(dataDir), PRIVATE);
        t.diagnostic(`figure: fresh data dir under umask 022 → ${JSON.stringify(modes(dataDir))}`);
      } finally {
        await server.close();
      }
    } finally {
      process.umask(previous);
    }
  });

  test('a data dir left by an older version (dir 0755, database, WAL and shm 0644) is tightened when the service starts', async (t) => {
    const dataDir = path.join(root, 'old-service');
    makeOldDataDir(dataDir);
    const before = modes(dataDir);
    assert.equal(before[DATABASE_FILE], '0644');
    const server = await startTestServer({ dataDir });
    try {
      await createSession(server, RAILWAY);
      assert.deepEqual(modes(dataDir), PRIVATE);
    } finally {
      await server.close();
    }
    t.diagnostic(`figure: old data dir ${JSON.stringify(before)} → after start ${JSON.stringify(modes(dataDir))}`);
  });

  test('the CLI tightens an old data dir too (it opens the same files)', () => {
    const dataDir = path.join(root, 'old-cli');
    makeOldDataDir(dataDir);
    const cli = spawnSync(process.execPath, ['--import', 'tsx', 'server/cli/main.ts', 'registry', 'count'], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? root, KYCVS_DATA_DIR: dataDir },
      encoding: 'utf8',
    });
    assert.equal(cli.status, 0, cli.stderr);
    // The CLI's connection was the last one: it removed the WAL and shm it had tightened and used.
    const after = modes(dataDir);
    assert.deepEqual(after, Object.fromEntries(Object.keys(after).map((what) => [what, PRIVATE[what]])));
    for (const what of ['data dir', DATABASE_FILE, 'secrets.json']) assert.ok(what in after, `${what} is there`);
  });
});

/** A data dir as an older version left it under umask 022: a 0755 dir, 0644 database files (the WAL and shm of a crashed run). */
function makeOldDataDir(dataDir: string): void {
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o755 });
  fs.chmodSync(dataDir, 0o755);
  const file = path.join(dataDir, DATABASE_FILE);
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.exec('CREATE TABLE leftover (x INTEGER)');
  db.close(); // the last connection checkpoints and removes the WAL: put back what a crash would leave
  for (const suffix of ['-wal', '-shm']) if (!fs.existsSync(file + suffix)) fs.writeFileSync(file + suffix, '');
  for (const suffix of ['', '-wal', '-shm']) fs.chmodSync(file + suffix, 0o644);
  // secrets.json was always written 0600 and the keys dir made 0700, by every version.
}
