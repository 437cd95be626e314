// Nothing in PostgreSQL holds a private signing key or a hashing secret in plaintext: after first
// start and rotations, every row of every table is read raw and searched for the keys' PKCS#8
// marker and bytes, their raw Ed25519 seeds, and the secrets' bytes, in hex and base64 forms. The
// public keys and the sealed records are found by the same search (it sees the data it scans).
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { test } from 'node:test';
import { createTestDatabase } from '../../test-support/postgres.ts';
import { PostgresKeyStore } from '../signing/postgres-key-store.ts';
import { KEK_BYTES, KeyEncryptionKey } from './kek.ts';
import { loadPostgresSecrets } from './postgres-secrets.ts';
import { SECRET_NAMES } from './secrets.ts';

/** The forms a byte string could be stored in: raw bytes (bytea prints as hex), base64, base64url. */
const forms = (bytes: Buffer) => [bytes.toString('hex'), bytes.toString('base64').replace(/=+$/, ''), bytes.toString('base64url')];

test('PostgreSQL holds private keys and secrets only sealed', async () => {
  const db = await createTestDatabase();
  const kek = KeyEncryptionKey.fromBytes(crypto.randomBytes(KEK_BYTES));
  const store = await PostgresKeyStore.open({ pool: db.pool, kek, tokenTtlSeconds: 300 });
  await store.rotate();
  await store.rotate({ immediate: true });
  const secrets = await loadPostgresSecrets(db.pool, kek);

  // Every row of every table, as PostgreSQL renders it (bytea as \x…hex, jsonb as text).
  const tables = await db.pool.query<{ name: string }>(
    "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
  );
  let dump = '';
  for (const { name } of tables.rows) {
    const rows = await db.pool.query<{ row: string }>(`SELECT t::text AS row FROM "${name}" t`);
    dump += rows.rows.map((r) => r.row).join('\n');
  }
  dump = dump.toLowerCase();
  const contains = (text: string) => dump.includes(text.toLowerCase());

  const keyRows = await db.pool.query<{ kid: string; public_jwk: { x: string }; private_key_sealed: Buffer }>(
    'SELECT kid, public_jwk, private_key_sealed FROM signing_keys',
  );
  assert.equal(keyRows.rows.length, 3);
  assert.ok(!contains('PRIVATE KEY'), 'no PEM marker');
  for (const row of keyRows.rows) {
    const pem = kek.open(row.private_key_sealed, `signing-key:${row.kid}`).toString('utf8');
    const privateKey = crypto.createPrivateKey(pem);
    const der = privateKey.export({ format: 'der', type: 'pkcs8' });
    const seed = Buffer.from(privateKey.export({ format: 'jwk' }).d!, 'base64url');
    const pemBody = pem.replace(/-----[A-Z ]+-----|\s/g, '');
    for (const form of [...forms(der), ...forms(seed), pemBody]) assert.ok(!contains(form), `${row.kid}: private key material stored as ${form.slice(0, 12)}…`);
    // The search does see key data: the public key and the sealed record are there.
    assert.ok(contains(row.public_jwk.x), 'public key found by the same search');
    assert.ok(contains(row.private_key_sealed.toString('hex')), 'sealed record found by the same search');
  }
  for (const n of SECRET_NAMES) {
    for (const form of forms(secrets[n])) assert.ok(!contains(form), `${n} stored as ${form.slice(0, 12)}…`);
  }
  await store.close();
});
