// verifyWebhook against the Standard Webhooks specification: vectors signed here with node:crypto
// the way the spec says (HMAC-SHA256 of "<id>.<timestamp>.<body>" under the base64-decoded
// whsec_ secret, sent as space-separated "v1,<base64>"), and the one fixed vector the spec's
// reference libraries all share, so a receiver built on this package agrees with theirs.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, test } from 'node:test';
import { type WebhookErrorCode, WebhookError, verifyWebhook } from './webhooks.ts';

const SECRET = `whsec_${Buffer.from('kycvs-test-webhook-secret-32-bytes!').toString('base64')}`;
const NOW = 1_767_225_600; // 2026-01-01T00:00:00Z
const BODY = JSON.stringify({
  type: 'session.completed',
  timestamp: '2026-01-01T00:00:00.000Z',
  data: { session_id: 'ses_abc', client_id: 'demo-railway', token: 'a.b.c' },
});

/** The sender's side, written from the spec, independent of the code under test. */
function sign(secret: string, id: string, timestamp: number | string, body: string | Buffer): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  return `v1,${createHmac('sha256', key).update(Buffer.concat([Buffer.from(`${id}.${timestamp}.`), Buffer.from(body)])).digest('base64')}`;
}

function headers(overrides: Record<string, string | undefined> = {}, body: string | Buffer = BODY): Record<string, string> {
  const all: Record<string, string | undefined> = {
    'webhook-id': 'msg_2Lx7f3Rz9QkYpW',
    'webhook-timestamp': String(NOW),
    ...overrides,
  };
  all['webhook-signature'] ??= sign(SECRET, all['webhook-id']!, all['webhook-timestamp']!, body);
  return Object.fromEntries(Object.entries(all).filter(([, v]) => v !== undefined)) as Record<string, string>;
}

const at = { now: NOW * 1000 };

function refused(fn: () => unknown, code: WebhookErrorCode): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof WebhookError, String(err));
    assert.equal(err.name, 'WebhookError');
    assert.equal(err.code, code, err.message);
    return true;
  });
}

describe('Standard Webhooks: accepted', () => {
  test('the spec libraries’ shared vector (whsec_MfKQ…, msg_p5jX…, 1614265330) verifies, with or without the whsec_ prefix', () => {
    const vector = {
      'webhook-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek',
      'webhook-timestamp': '1614265330',
      'webhook-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    };
    for (const secret of ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw']) {
      const out = verifyWebhook('{"test": 2432232314}', vector, secret, { now: 1614265330_000 });
      assert.deepEqual(out, { id: 'msg_p5jXN8AQM9LWM0D4loKWxJek', timestamp: 1614265330, payload: { test: 2432232314 } });
    }
  });

  test('a signed event: the id, the timestamp and the parsed body come back', () => {
    const out = verifyWebhook<{ type: string; data: { session_id: string } }>(BODY, headers(), SECRET, at);
    assert.equal(out.id, 'msg_2Lx7f3Rz9QkYpW');
    assert.equal(out.timestamp, NOW);
    assert.equal(out.payload.type, 'session.completed');
    assert.equal(out.payload.data.session_id, 'ses_abc');
  });

  test('the body as a Buffer (express.raw), bytes that are not UTF-8 included; headers as fetch Headers or in any case', () => {
    assert.equal(verifyWebhook(Buffer.from(BODY), headers(), SECRET, at).id, 'msg_2Lx7f3Rz9QkYpW');
    assert.equal(verifyWebhook(BODY, new Headers(headers()), SECRET, at).timestamp, NOW);
    const upper = Object.fromEntries(Object.entries(headers()).map(([k, v]) => [k.replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase()), v]));
    assert.ok('Webhook-Id' in upper);
    assert.equal(verifyWebhook(BODY, upper, SECRET, at).id, 'msg_2Lx7f3Rz9QkYpW');
    // A signed body with a byte no UTF-8 decoder keeps: verified on the bytes, not on a re-decoded string.
    const raw = Buffer.concat([Buffer.from('{"x":"'), Buffer.from([0xff]), Buffer.from('"}')]);
    assert.ok(verifyWebhook(raw, headers({}, raw), SECRET, at));
    refused(() => verifyWebhook(raw.toString('utf8'), headers({}, raw), SECRET, at), 'signature_invalid');
  });

  test('several signatures (the sender rotating its secret): one valid v1 is enough; v1a and other versions are skipped', () => {
    const old = `whsec_${Buffer.from('the-previous-secret-of-this-endpoint').toString('base64')}`;
    const valid = sign(SECRET, 'msg_2Lx7f3Rz9QkYpW', NOW, BODY);
    const signature = [
      sign(old, 'msg_2Lx7f3Rz9QkYpW', NOW, BODY),
      `v2,${valid.slice(3)}`,
      `v1a,${valid.slice(3)}`,
      valid,
    ].join(' ');
    assert.ok(verifyWebhook(BODY, headers({ 'webhook-signature': signature }), SECRET, at));
    assert.ok(verifyWebhook(BODY, headers({ 'webhook-signature': signature }), old, at), 'the old secret verifies its own entry');
    refused(() => verifyWebhook(BODY, headers({ 'webhook-signature': `v2,${valid.slice(3)} v1a,${valid.slice(3)}` }), SECRET, at), 'signature_invalid');
  });

  test('the receiver rotating: a list of secrets, any one may match', () => {
    const next = `whsec_${Buffer.from('the-next-secret-of-this-endpoint').toString('base64')}`;
    assert.ok(verifyWebhook(BODY, headers(), [next, SECRET], at));
  });

  test('the tolerance: 5 minutes either way by default, inclusive; configurable', () => {
    assert.ok(verifyWebhook(BODY, headers(), SECRET, { now: (NOW + 300) * 1000 }));
    assert.ok(verifyWebhook(BODY, headers(), SECRET, { now: (NOW - 300) * 1000 }));
    refused(() => verifyWebhook(BODY, headers(), SECRET, { now: (NOW + 301) * 1000 }), 'timestamp_too_old');
    refused(() => verifyWebhook(BODY, headers(), SECRET, { now: (NOW - 301) * 1000 }), 'timestamp_too_new');
    refused(() => verifyWebhook(BODY, headers(), SECRET, { now: (NOW + 31) * 1000, toleranceSeconds: 30 }), 'timestamp_too_old');
    assert.ok(verifyWebhook(BODY, headers(), SECRET, { now: new Date((NOW + 3599) * 1000), toleranceSeconds: 3600 }));
  });

  test('by default against the clock', () => {
    const now = Math.floor(Date.now() / 1000);
    assert.ok(verifyWebhook(BODY, headers({ 'webhook-timestamp': String(now) }), SECRET));
    refused(() => verifyWebhook(BODY, headers({ 'webhook-timestamp': String(now - 3600) }), SECRET), 'timestamp_too_old');
  });
});

describe('Standard Webhooks: refused', () => {
  test('a changed body, id or timestamp → signature_invalid (the signature covers all three)', () => {
    const signature = headers()['webhook-signature']!;
    refused(() => verifyWebhook(BODY.replace('ses_abc', 'ses_abd'), headers(), SECRET, at), 'signature_invalid');
    refused(() => verifyWebhook(`${BODY} `, headers(), SECRET, at), 'signature_invalid');
    refused(() => verifyWebhook(BODY, headers({ 'webhook-id': 'msg_other', 'webhook-signature': signature }), SECRET, at), 'signature_invalid');
    refused(() => verifyWebhook(BODY, headers({ 'webhook-timestamp': String(NOW + 1), 'webhook-signature': signature }), SECRET, at), 'signature_invalid');
  });

  test('another secret → signature_invalid', () => {
    const other = `whsec_${Buffer.from('someone-else-s-secret-entirely').toString('base64')}`;
    refused(() => verifyWebhook(BODY, headers(), other, at), 'signature_invalid');
  });

  test('the right signature spelt otherwise (no padding, other case, flipped bit) → signature_invalid', () => {
    const valid = headers()['webhook-signature']!;
    for (const spelt of [valid.replace(/=+$/, ''), `v1,${valid.slice(3).toLowerCase()}`, `V1,${valid.slice(3)}`, `v1, ${valid.slice(3)}`, `${valid}=`]) {
      refused(() => verifyWebhook(BODY, headers({ 'webhook-signature': spelt }), SECRET, at), 'signature_invalid');
    }
    const sig = Buffer.from(valid.slice(3), 'base64');
    sig[0]! ^= 1;
    refused(() => verifyWebhook(BODY, headers({ 'webhook-signature': `v1,${sig.toString('base64')}` }), SECRET, at), 'signature_invalid');
  });

  test('a missing or empty header → header_missing', () => {
    for (const name of ['webhook-id', 'webhook-timestamp', 'webhook-signature']) {
      const { [name]: _gone, ...missing } = headers();
      refused(() => verifyWebhook(BODY, missing, SECRET, at), 'header_missing');
      const empty = { ...headers(), [name]: '' };
      refused(() => verifyWebhook(BODY, empty, SECRET, at), 'header_missing');
    }
  });

  test('a timestamp that is not whole seconds → timestamp_invalid, even when signed', () => {
    for (const stamp of ['hello', '1674087231.5', '-1674087231', '1e9', `${NOW * 1000}000`, '0x10']) {
      refused(() => verifyWebhook(BODY, headers({ 'webhook-timestamp': stamp }), SECRET, at), 'timestamp_invalid');
    }
  });

  test('an id with a dot (one signed content read as another split) or a header sent twice → header_invalid', () => {
    refused(() => verifyWebhook(BODY, headers({ 'webhook-id': `msg_a.${NOW}` }), SECRET, at), 'header_invalid');
    const twice = { ...headers(), 'webhook-signature': [headers()['webhook-signature']!, 'v1,AAAA'] };
    refused(() => verifyWebhook(BODY, twice, SECRET, at), 'header_invalid');
  });

  test('a secret that is not whsec_<base64> → secret_invalid', () => {
    for (const secret of ['', 'whsec_', 'whsec_not base64!', 'whsec_abc', []]) {
      refused(() => verifyWebhook(BODY, headers(), secret as string, at), 'secret_invalid');
    }
  });

  test('a signed body that is not JSON → payload_invalid; an empty signed body → payload undefined', () => {
    refused(() => verifyWebhook('not json', headers({}, 'not json'), SECRET, at), 'payload_invalid');
    assert.equal(verifyWebhook('', headers({}, ''), SECRET, at).payload, undefined);
  });
});
