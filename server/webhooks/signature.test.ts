// The signature scheme against the Standard Webhooks reference libraries' published vectors, the
// secret's format and its sealing at rest, and what the service signs checked by the verifier
// package hosts use (and the demo railway's receiver uses): `verifyWebhook` from @kycvs/verifier.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type WebhookErrorCode, WebhookError, verifyWebhook } from '@kycvs/verifier';
import { SecretSealer, deriveWebhookSealKey, newWebhookSecret, webhookSecretBytes } from './secret.ts';
import { signatureHeader, webhookHeaders } from './signature.ts';

describe('signature: the specification\'s vectors', () => {
  test('python library vector (whsec_ prefix, JSON with a space)', () => {
    const key = webhookSecretBytes('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw');
    assert.equal(signatureHeader([key], 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}'), 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  test('rust library vector', () => {
    const key = webhookSecretBytes('whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD');
    const body = '{"email":"test@example.com","username":"test_user"}';
    assert.equal(signatureHeader([key], 'msg_27UH4WbU6Z5A5EzD8u03UvzRbpk', 1649367553, body), 'v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=');
  });

  test('two keys (rotation): two space-separated v1 signatures, the current first', () => {
    const a = newWebhookSecret();
    const b = newWebhookSecret();
    const header = signatureHeader([a.bytes, b.bytes], 'msg_x', 1700000000, '{}');
    const [first, second] = header.split(' ');
    assert.equal(first, signatureHeader([a.bytes], 'msg_x', 1700000000, '{}'));
    assert.equal(second, signatureHeader([b.bytes], 'msg_x', 1700000000, '{}'));
  });

  test('an id with "." is refused (the signed content is dot-delimited)', () => {
    assert.throws(() => signatureHeader([newWebhookSecret().bytes], 'msg.1', 1, '{}'));
  });
});

describe('secrets', () => {
  test('whsec_ + base64 of 32 random bytes; each one different', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 50; i++) {
      const { text, bytes } = newWebhookSecret();
      assert.match(text, /^whsec_[A-Za-z0-9+/]{43}=$/);
      assert.equal(bytes.length, 32);
      assert.deepEqual(webhookSecretBytes(text), bytes);
      seen.add(text);
    }
    assert.equal(seen.size, 50);
  });

  test('sealed with AES-256-GCM under a key derived from secrets.json; opens only for its own client', () => {
    const sealer = new SecretSealer(deriveWebhookSealKey({ apiKeyKey: Buffer.alloc(32, 7) }));
    const { bytes } = newWebhookSecret();
    const sealed = sealer.seal(bytes, 'client a');
    assert.ok(!sealed.includes(bytes), 'the sealed form does not contain the key');
    assert.deepEqual(sealer.open(sealed, 'client a'), bytes);
    assert.throws(() => sealer.open(sealed, 'client b'), 'moved to another client, it does not open');
    const other = new SecretSealer(deriveWebhookSealKey({ apiKeyKey: Buffer.alloc(32, 8) }));
    assert.throws(() => other.open(sealed, 'client a'), 'another data dir\'s key does not open it');
    const tampered = Buffer.from(sealed);
    tampered[tampered.length - 1]! ^= 1;
    assert.throws(() => sealer.open(tampered, 'client a'));
  });
});

describe('what the service signs, as @kycvs/verifier checks it', () => {
  const { text: secret, bytes } = newWebhookSecret();
  const body = JSON.stringify({ type: 'session.denied', timestamp: new Date().toISOString(), data: { session_id: 's', client_id: 'c', nonce: null } });
  const signed = (b = body, nowMs = Date.now(), keys = [bytes]) => webhookHeaders(keys, 'msg_abc', b, nowMs);

  test('accepts what the service signs, raw body as Buffer or string', () => {
    assert.equal(verifyWebhook<{ type: string }>(Buffer.from(body), signed(), secret).payload.type, 'session.denied');
    assert.equal(verifyWebhook(body, signed(), secret).id, 'msg_abc');
  });

  test('accepts when any one of several signatures matches (the sender rotating secrets)', () => {
    assert.ok(verifyWebhook(body, signed(body, Date.now(), [newWebhookSecret().bytes, bytes]), secret));
  });

  const refuses = (headers: Record<string, string>, raw: string, code: WebhookErrorCode, key = secret) =>
    assert.throws(() => verifyWebhook(raw, headers, key), (e: unknown) => e instanceof WebhookError && e.code === code);

  test('refuses a changed body, another secret, a stale or future timestamp, missing headers, v1a only', () => {
    refuses(signed(), body.replace('denied', 'completed'), 'signature_invalid');
    refuses(signed(), ` ${body}`, 'signature_invalid');
    refuses(signed(), body, 'signature_invalid', newWebhookSecret().text);
    refuses(signed(body, Date.now() - 301_000), body, 'timestamp_too_old');
    refuses(signed(body, Date.now() + 301_000), body, 'timestamp_too_new');
    const { 'webhook-signature': _drop, ...noSignature } = signed();
    refuses(noSignature, body, 'header_missing');
    const h = signed();
    refuses({ ...h, 'webhook-signature': h['webhook-signature']!.replace('v1,', 'v1a,') }, body, 'signature_invalid');
    refuses({ ...h, 'webhook-timestamp': '1e9' }, body, 'timestamp_invalid');
    refuses({ ...h, 'webhook-id': 'msg_other' }, body, 'signature_invalid');
  });
});
