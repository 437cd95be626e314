import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import pino from 'pino';
import { waitFor } from '../../test-support/harness.ts';
import { WalCheckpointer } from './checkpointer.ts';
import { openDatabase } from './database.ts';

const silent = pino({ level: 'silent' });

function freshDb() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kycvs-ckpt-'));
  const file = path.join(dir, 'test.sqlite');
  const db = openDatabase(file);
  db.exec('CREATE TABLE blobs (id INTEGER PRIMARY KEY, data BLOB NOT NULL)');
  return { dir, file, db, insert: db.prepare('INSERT INTO blobs (data) VALUES (?)') };
}

test('the worker copies the WAL into the database file while the service connection never checkpoints', async (t) => {
  const { dir, file, db, insert } = freshDb();
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const checkpointer = new WalCheckpointer(db, silent, 10);
  assert.equal(db.pragma('wal_autocheckpoint', { simple: true }), 0);
  const before = fs.statSync(file).size;
  // 8 MB of commits: well past the 1000 pages at which SQLite would checkpoint by itself.
  for (let i = 0; i < 2000; i++) insert.run(Buffer.alloc(4096, i % 256));
  await waitFor(() => fs.statSync(file).size > before + 4 * 1024 * 1024, { what: 'the database file to receive the WAL pages' });
  await checkpointer.stop();
  db.close();
  assert.equal(fs.existsSync(`${file}-wal`), false, 'closing the last connection removes the checkpointed WAL');
  const reopened = openDatabase(file);
  assert.equal((reopened.prepare('SELECT count(*) AS n FROM blobs').get() as { n: number }).n, 2000);
  assert.equal(reopened.pragma('integrity_check', { simple: true }), 'ok');
  reopened.close();
});

test('a worker that cannot run hands checkpointing back to the service connection', async (t) => {
  const { dir, db } = freshDb();
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.rmSync(dir, { recursive: true, force: true }); // the worker's open of the (now missing) directory fails
  const warnings: string[] = [];
  const log = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(line) });
  const checkpointer = new WalCheckpointer(db, log, 10);
  await waitFor(() => db.pragma('wal_autocheckpoint', { simple: true }) === 1000, { what: 'automatic checkpoints to be restored' });
  assert.ok(warnings.some((w) => w.includes('checkpoint worker stopped')));
  await checkpointer.stop();
  db.close();
});
