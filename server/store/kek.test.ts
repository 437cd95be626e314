// The key-encryption key: sealed records open only with the same KEK and the same record identity,
// a wrong KEK or an altered record is a typed error (never garbage bytes), and the KEK is read from
// KYCVS_KEK or KYCVS_KEK_FILE, refused when malformed, and never printed.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';
import { describe, test } from 'node:test';
import { KEK_BYTES, KekError, KeyEncryptionKey, kekFromEnv, requireKek } from './kek.ts';

const newKek = () => KeyEncryptionKey.fromBytes(crypto.randomBytes(KEK_BYTES));
const rejects = (code: string) => (err: unknown) => err instanceof KekError && err.code === code;

describe('sealing', () => {
  test('a sealed record opens with the same KEK and identity; two seals of one value differ (random nonce)', () => {
    const kek = newKek();
    const secret = crypto.randomBytes(32);
    const a = kek.seal(secret, 'hashing-secret:mobileKey');
    const b = kek.seal(secret, 'hashing-secret:mobileKey');
    assert.notDeepEqual(a, b);
    assert.equal(a[0], 1, 'version byte');
    assert.equal(a.length, 1 + 8 + 12 + 32 + 16);
    assert.ok(!a.includes(secret), 'no plaintext in the envelope');
    assert.deepEqual(kek.open(a, 'hashing-secret:mobileKey'), secret);
    assert.deepEqual(kek.open(b, 'hashing-secret:mobileKey'), secret);
  });

  test('another KEK is told apart: kek_mismatch, with a message naming KYCVS_KEK', () => {
    const sealed = newKek().seal(Buffer.from('private'), 'signing-key:abc');
    assert.throws(() => newKek().open(sealed, 'signing-key:abc'), (err) => rejects('kek_mismatch')(err) && /KYCVS_KEK/.test((err as Error).message));
  });

  test('a record moved to another identity, altered, truncated or of an unknown version does not open', () => {
    const kek = newKek();
    const sealed = kek.seal(Buffer.from('private key bytes'), 'signing-key:abc');
    assert.throws(() => kek.open(sealed, 'signing-key:abd'), rejects('sealed_record_invalid'));
    for (const at of [9, 9 + 12, sealed.length - 1]) {
      const altered = Buffer.from(sealed);
      altered[at]! ^= 1;
      assert.throws(() => kek.open(altered, 'signing-key:abc'), rejects('sealed_record_invalid'), `byte ${at} flipped`);
    }
    assert.throws(() => kek.open(sealed.subarray(0, 20), 'signing-key:abc'), rejects('sealed_record_invalid'));
    const otherVersion = Buffer.from(sealed);
    otherVersion[0] = 2;
    assert.throws(() => kek.open(otherVersion, 'signing-key:abc'), rejects('sealed_record_invalid'));
  });

  test('the KEK never shows in logs or JSON', () => {
    const raw = crypto.randomBytes(KEK_BYTES);
    const kek = KeyEncryptionKey.fromBytes(raw);
    const shown = `${inspect({ kek })} ${JSON.stringify({ kek })} ${String(kek)}`;
    for (const enc of ['base64', 'base64url', 'hex'] as const) assert.ok(!shown.includes(raw.toString(enc)), enc);
  });
});

describe('configuration', () => {
  const b64 = crypto.randomBytes(KEK_BYTES).toString('base64');

  test('KYCVS_KEK: base64 or base64url of 32 bytes; neither set gives null', () => {
    assert.equal(kekFromEnv({}), null);
    const kek = kekFromEnv({ KYCVS_KEK: ` ${b64}\n` })!;
    const url = kekFromEnv({ KYCVS_KEK: Buffer.from(b64, 'base64').toString('base64url') })!;
    const sealed = kek.seal(Buffer.from('x'), 'c');
    assert.deepEqual(url.open(sealed, 'c'), Buffer.from('x'), 'the same key in either alphabet');
  });

  test('a KEK change: the new KEK with the previous one opens both KEKs\' records, seals only under the new; a third KEK\'s stays refused', () => {
    const [old, fresh, other] = [crypto.randomBytes(KEK_BYTES), crypto.randomBytes(KEK_BYTES), newKek()];
    const before = KeyEncryptionKey.fromBytes(old).seal(Buffer.from('secret'), 'hashing-secret:otpKey');
    const changing = kekFromEnv({ KYCVS_KEK: fresh.toString('base64'), KYCVS_KEK_PREVIOUS: old.toString('base64') })!;
    assert.deepEqual(changing.open(before, 'hashing-secret:otpKey'), Buffer.from('secret'));
    assert.ok(!changing.sealedUnderThis(before));
    const after = changing.seal(Buffer.from('secret'), 'hashing-secret:otpKey');
    assert.ok(changing.sealedUnderThis(after));
    // Once the change is over, the new KEK alone opens what was sealed during it; the old one does not.
    assert.deepEqual(KeyEncryptionKey.fromBytes(fresh).open(after, 'hashing-secret:otpKey'), Buffer.from('secret'));
    assert.throws(() => KeyEncryptionKey.fromBytes(old).open(after, 'hashing-secret:otpKey'), rejects('kek_mismatch'));
    assert.throws(() => changing.open(other.seal(Buffer.from('x'), 'c'), 'c'), rejects('kek_mismatch'));
    // The previous KEK's context binding holds as the current one's does.
    assert.throws(() => changing.open(before, 'hashing-secret:mobileKey'), rejects('sealed_record_invalid'));
  });

  test('KYCVS_KEK_PREVIOUS without KYCVS_KEK, or equal to it, is refused', () => {
    assert.throws(() => kekFromEnv({ KYCVS_KEK_PREVIOUS: b64 }), rejects('kek_invalid'));
    assert.throws(() => kekFromEnv({ KYCVS_KEK: b64, KYCVS_KEK_PREVIOUS: b64 }), rejects('kek_invalid'));
    assert.throws(() => kekFromEnv({ KYCVS_KEK: b64, KYCVS_KEK_PREVIOUS: 'short' }), (err) => rejects('kek_invalid')(err) && /KYCVS_KEK_PREVIOUS/.test((err as Error).message));
  });

  test('a malformed KEK is refused with how to make one, without echoing it', () => {
    for (const bad of ['short', crypto.randomBytes(16).toString('base64'), crypto.randomBytes(48).toString('base64'), `${b64.slice(0, 40)}!!!=`]) {
      assert.throws(
        () => kekFromEnv({ KYCVS_KEK: bad }),
        (err) => rejects('kek_invalid')(err) && /openssl rand -base64 32/.test((err as Error).message) && !(err as Error).message.includes(bad),
      );
    }
    assert.throws(() => kekFromEnv({ KYCVS_KEK: b64, KYCVS_KEK_FILE: '/x' }), rejects('kek_invalid'));
  });

  test('KYCVS_KEK_FILE: read from the file (as `openssl rand -base64 32 > file` writes it); a missing file is refused', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kycvs-kek-'));
    const file = path.join(dir, 'kek');
    fs.writeFileSync(file, `${b64}\n`, { mode: 0o600 });
    const fromFile = kekFromEnv({ KYCVS_KEK_FILE: file })!;
    const fromEnv = kekFromEnv({ KYCVS_KEK: b64 })!;
    assert.deepEqual(fromFile.open(fromEnv.seal(Buffer.from('y'), 'c'), 'c'), Buffer.from('y'));
    assert.throws(() => kekFromEnv({ KYCVS_KEK_FILE: path.join(dir, 'absent') }), (err) => rejects('kek_invalid')(err) && /ENOENT/.test((err as Error).message));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('PostgreSQL without a KEK: a one-line refusal saying how to make one', () => {
    assert.throws(
      () => requireKek(null),
      (err) => rejects('kek_missing')(err) && /openssl rand -base64 32/.test((err as Error).message) && !(err as Error).message.includes('\n'),
    );
    const kek = newKek();
    assert.equal(requireKek(kek), kek);
  });
});
