// `npm run cli -- db migrate`, `db adopt-secrets` and `db reseal`, run as an operator runs them: their own
// process, the real PostgreSQL.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createTestDatabase } from '../../../test-support/postgres.ts';
import { FileKeyStore } from '../../signing/key-store.ts';
import { PostgresKeyStore } from '../../signing/postgres-key-store.ts';
import { KEK_BYTES, KeyEncryptionKey } from '../kek.ts';
import { loadPostgresSecrets } from '../postgres-secrets.ts';
import { loadSecrets, SECRET_NAMES } from '../secrets.ts';
import { appliedVersions, readMigrations } from './migrate.ts';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kycvs-db-cli-'));
after(() => fs.rmSync(dataDir, { recursive: true, force: true }));

function cli(databaseUrl: string | null, ...args: string[]) {
  return cliWith({}, databaseUrl, ...args);
}

function cliWith(extra: NodeJS.ProcessEnv, databaseUrl: string | null, ...args: string[]) {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? dataDir, KYCVS_DATA_DIR: dataDir, ...extra };
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

describe('cli: db adopt-secrets (moving a SQLite deployment to PostgreSQL)', () => {
  const kekBytes = crypto.randomBytes(KEK_BYTES);
  const kek = KeyEncryptionKey.fromBytes(kekBytes);
  const withKek = { KYCVS_KEK: kekBytes.toString('base64') };
  /** A SQLite deployment's data dir, its secrets.json made as the service makes it. */
  const sqliteDataDir = () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kycvs-adopt-'));
    after(() => fs.rmSync(dir, { recursive: true, force: true }));
    return { dir, secrets: loadSecrets(dir) };
  };

  it('stores the data dir\'s secrets, sealed, before the first start: the service then hashes as before; a second run changes nothing', async () => {
    const db = await createTestDatabase({ migrate: false });
    const old = sqliteDataDir();
    const first = cliWith(withKek, db.url, 'db', 'adopt-secrets', old.dir);
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stdout, /^adopted the hashing secrets of .*secrets\.json/);
    // What every service process loads at start.
    assert.deepEqual(await loadPostgresSecrets(db.pool, kek), old.secrets);
    const { rows } = await db.pool.query<{ sealed: Buffer }>('SELECT sealed FROM hashing_secrets');
    assert.equal(rows.length, SECRET_NAMES.length);
    for (const { sealed } of rows) for (const n of SECRET_NAMES) assert.ok(!sealed.includes(old.secrets[n]), 'stored sealed, not in plaintext');
    const again = cliWith(withKek, db.url, 'db', 'adopt-secrets', old.dir);
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, /already the ones PostgreSQL holds/);
  });

  it('moves the signing keys too, schedules and all: the same kid signs and the JWKS is the same, so tokens in flight stay valid', async () => {
    const db = await createTestDatabase({ migrate: false });
    const old = sqliteDataDir();
    // A data dir that has served: its first key, and a rotation published ahead of signing.
    const files = await FileKeyStore.open(old.dir, 300);
    await files.rotate();
    const [signing, published] = [(await files.signingKey()).kid, await files.publicKeys()];
    const run = cliWith(withKek, db.url, 'db', 'adopt-secrets', old.dir);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout.split('\n')[1]!, new RegExp(`^adopted 2 signing keys \\(${published.map((k) => k.kid).join(', ')}\\)`));
    const moved = await PostgresKeyStore.open({ pool: db.pool, kek, tokenTtlSeconds: 300 });
    try {
      assert.equal((await moved.signingKey()).kid, signing);
      assert.deepEqual(await moved.publicKeys(), published);
    } finally {
      await moved.close();
    }
    const { rows } = await db.pool.query<{ sealed: Buffer }>('SELECT private_key_sealed AS sealed FROM signing_keys');
    for (const { sealed } of rows) assert.ok(!sealed.toString('latin1').includes('PRIVATE KEY'), 'sealed, not a PEM');
    const again = cliWith(withKek, db.url, 'db', 'adopt-secrets', old.dir);
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout.split('\n')[1]!, /signing keys are already the ones PostgreSQL holds/);
  });

  it('refuses a key file that is not its kid\'s key, before touching the database', async () => {
    const db = await createTestDatabase({ migrate: false });
    const old = sqliteDataDir();
    const files = await FileKeyStore.open(old.dir, 300);
    const kid = (await files.signingKey()).kid;
    const other = sqliteDataDir();
    const otherKid = (await (await FileKeyStore.open(other.dir, 300)).signingKey()).kid;
    fs.copyFileSync(path.join(other.dir, 'keys', `${otherKid}.private.pem`), path.join(old.dir, 'keys', `${kid}.private.pem`));
    const run = cliWith(withKek, db.url, 'db', 'adopt-secrets', old.dir);
    assert.equal(run.status, 1);
    assert.equal(run.stderr.split('\n').length, 1);
    assert.match(run.stderr, /is not that key's \(key_files_invalid\)$/);
    assert.deepEqual(await appliedVersions(db.pool), [], 'no migration applied');
  });

  it('refuses in one line once a service has started on the database, leaving its secrets as they are', async () => {
    const db = await createTestDatabase();
    const started = await loadPostgresSecrets(db.pool, kek);
    const run = cliWith(withKek, db.url, 'db', 'adopt-secrets', sqliteDataDir().dir);
    assert.equal(run.status, 1);
    assert.equal(run.stderr.split('\n').length, 1);
    assert.match(run.stderr, /already holds other hashing secrets .*\(secrets_conflict\)$/);
    assert.deepEqual(await loadPostgresSecrets(db.pool, kek), started);
  });

  it('refuses in one line a dir without secrets.json, or without a KEK, before touching the database', async () => {
    const db = await createTestDatabase({ migrate: false });
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'kycvs-adopt-empty-'));
    after(() => fs.rmSync(empty, { recursive: true, force: true }));
    const noFile = cliWith(withKek, db.url, 'db', 'adopt-secrets', empty);
    assert.equal(noFile.status, 1);
    assert.match(noFile.stderr, /secrets\.json: no such file .*\(secrets_file_invalid\)$/);
    assert.deepEqual(fs.readdirSync(empty), [], 'no secrets.json made');
    const noKek = cli(db.url, 'db', 'adopt-secrets', sqliteDataDir().dir);
    assert.equal(noKek.status, 1);
    assert.equal(noKek.stderr.split('\n').length, 1);
    assert.match(noKek.stderr, /\(kek_missing\)$/);
    assert.deepEqual(await appliedVersions(db.pool), [], 'no migration applied');
  });
});

describe('cli: db reseal (changing the KEK)', () => {
  it('with the new KEK and the previous one, seals every key and secret again under the new KEK; after it the new KEK alone opens them all', async () => {
    const db = await createTestDatabase();
    const [oldBytes, newBytes] = [crypto.randomBytes(KEK_BYTES), crypto.randomBytes(KEK_BYTES)];
    const [oldKek, newKek] = [KeyEncryptionKey.fromBytes(oldBytes), KeyEncryptionKey.fromBytes(newBytes)];
    // A deployment running under the old KEK: its secrets, a signing key and a rotated one.
    const secrets = await loadPostgresSecrets(db.pool, oldKek);
    const keys = await PostgresKeyStore.open({ pool: db.pool, kek: oldKek, tokenTtlSeconds: 300 });
    await keys.rotate({ immediate: true });
    const signing = (await keys.signingKey()).kid;
    const published = await keys.publicKeys();
    await keys.close();
    const records = SECRET_NAMES.length + 2;

    const newOnly = { KYCVS_KEK: newBytes.toString('base64') };
    const early = cliWith(newOnly, db.url, 'db', 'reseal');
    assert.equal(early.status, 1, 'the new KEK alone cannot open the old records');
    assert.equal(early.stderr.split('\n').length, 1);
    assert.match(early.stderr, /\(kek_mismatch\)$/);

    const changing = { ...newOnly, KYCVS_KEK_PREVIOUS: oldBytes.toString('base64') };
    const run = cliWith(changing, db.url, 'db', 'reseal');
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout, `re-sealed ${records} records under the current KEK (0 already were): KYCVS_KEK_PREVIOUS can go`);

    assert.deepEqual(await loadPostgresSecrets(db.pool, newKek), secrets, 'the same secrets: hashes stay valid');
    const after = await PostgresKeyStore.open({ pool: db.pool, kek: newKek, tokenTtlSeconds: 300 });
    try {
      assert.equal((await after.signingKey()).kid, signing, 'the same key signs');
      assert.deepEqual(await after.publicKeys(), published, 'the same JWKS');
    } finally {
      await after.close();
    }
    await assert.rejects(loadPostgresSecrets(db.pool, oldKek), (err: unknown) => (err as { code?: string }).code === 'kek_mismatch');

    const again = cliWith(changing, db.url, 'db', 'reseal');
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, new RegExp(`^re-sealed 0 records under the current KEK \\(${records} already were\\)`));
  });
});
