// Bad input on every route: wrong types, unknown fields, bad JSON, huge bodies, wrong media
// types, bad ids, bad credentials. Each must get a 4xx `{ error, message }` — never a 500, never
// internals — and random bodies (fast-check) must never get a 5xx either.
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import { after, describe, test } from 'node:test';
import fc from 'fast-check';
import {
  DEMO,
  RAILWAY_WIDGET,
  assertApiError,
  assertClientError,
  createSession,
  requestOtp,
  startTestServer,
  verifyOtp,
} from '../../test-support/harness.ts';

const server = await startTestServer();
after(() => server.close());

// One live session per step, so bodies reach validation of the step they are aimed at.
const created = await createSession(server, RAILWAY_WIDGET);
const otpSent = await createSession(server, RAILWAY_WIDGET);
await requestOtp(server, otpSent, DEMO.asha);
const verified = await createSession(server, RAILWAY_WIDGET);
await verifyOtp(server, verified, await requestOtp(server, verified, DEMO.ravi));

interface Route {
  path: string;
  apiKey?: string;
  /** Bodies of the right shape but wrong types or values, and the field each names. */
  wrong: [body: unknown, field: string][];
}

const ROUTES: Route[] = [
  {
    path: '/v1/sessions',
    apiKey: DEMO.railway.apiKey,
    wrong: [
      [{ nonce: 42 }, 'nonce'],
      [{ nonce: 'has spaces in it' }, 'nonce'],
      [{ nonce: 'n'.repeat(129) }, 'nonce'],
      [{ purpose: '' }, 'purpose'],
      [{ purpose: ['a'] }, 'purpose'],
      [{ mobile: 9876543210, name: 'Asha Verma' }, 'mobile'],
      [{ mobile: '12345', name: 'Asha Verma' }, 'mobile'],
      [{ mobile: '9876543210', name: '!!!' }, 'name'],
      [{ mobile: '9876543210', name: 'Dr.' }, 'name'],
      [{ client_id: 'demo-hotel' }, 'client_id'],
      [{ origin: 42 }, 'origin'],
      [{ mobile: '9876543210' }, 'name'],
    ],
  },
  {
    path: `/v1/sessions/${created}/otp`,
    wrong: [
      [{ mobile: '9876543210' }, 'name'],
      [{ name: 'Asha Verma' }, 'mobile'],
      [{ mobile: null, name: 'Asha Verma' }, 'mobile'],
      [{ mobile: '5876543210', name: 'Asha Verma' }, 'mobile'],
      [{ mobile: '98765432100', name: 'Asha Verma' }, 'mobile'],
      [{ mobile: '98765 4321O', name: 'Asha Verma' }, 'mobile'],
      [{ mobile: '9'.repeat(40), name: 'Asha Verma' }, 'mobile'],
      [{ mobile: '9876543210', name: { first: 'Asha' } }, 'name'],
      [{ mobile: '9876543210', name: 'A'.repeat(101) }, 'name'],
    ],
  },
  {
    path: `/v1/sessions/${otpSent}/otp/verify`,
    wrong: [
      [{ otp: 123456 }, 'otp'],
      [{ otp: '12345' }, 'otp'],
      [{ otp: '1234567' }, 'otp'],
      [{ otp: '12a456' }, 'otp'],
      [{ otp: '١٢٣٤٥٦' }, 'otp'],
      [{ otp: '123456', consent: 'true' }, 'consent'],
      [{}, 'otp'],
    ],
  },
  {
    path: `/v1/sessions/${verified}/consent`,
    wrong: [
      [{ decision: 'yes', consent_ticket: 't' }, 'decision'],
      [{ decision: true, consent_ticket: 't' }, 'decision'],
      [{ decision: 'ALLOW', consent_ticket: 't' }, 'decision'],
      [{ decision: 'allow', consent_ticket: 7 }, 'consent_ticket'],
      [{ decision: 'allow', consent_ticket: 't'.repeat(101) }, 'consent_ticket'],
    ],
  },
];

const post = (route: Route, raw: string, contentType = 'application/json', headers: Record<string, string> = {}) =>
  server.api('POST', route.path, {
    raw,
    headers: { 'content-type': contentType, ...headers },
    ...(route.apiKey ? { apiKey: route.apiKey } : {}),
  });

for (const route of ROUTES) {
  describe(`POST ${route.path.replace(/ses_[\w-]+/, ':id')}`, () => {
    test('wrong types and values → 400 invalid_request naming the field, never echoing the value', async () => {
      for (const [body, field] of route.wrong) {
        const res = await post(route, JSON.stringify(body));
        assertApiError(res, 'invalid_request', JSON.stringify(body));
        assert.ok(res.body.fields?.includes(field), `${JSON.stringify(body)} names ${field}: ${res.text}`);
        for (const value of Object.values(body as object)) {
          if (typeof value === 'string' && value.length > 3) assert.ok(!res.text.includes(value), `echoes ${value}`);
        }
      }
    });

    test('unknown fields → 400 invalid_request naming them', async () => {
      for (const body of [{ extra: 1 }, { __proto__: null, constructor: 'x' }, JSON.parse('{"__proto__": {"admin": true}}')]) {
        const res = await post(route, JSON.stringify(body));
        assertApiError(res, 'invalid_request', JSON.stringify(body));
        assert.ok(res.body.fields.length > 0, res.text);
      }
    });

    test('malformed JSON → 400 invalid_json', async () => {
      for (const raw of ['{', '{"a":', "{'a':1}", '{"a":1,}', 'nul', '"just a string"', '42', 'null', '\u0000']) {
        assertApiError(await post(route, raw), 'invalid_json', JSON.stringify(raw));
      }
    });

    test('JSON that is not an object → 400', async () => {
      for (const raw of ['[]', '[{"mobile":"9876543210"}]', `${'['.repeat(3000)}${']'.repeat(3000)}`]) {
        assertClientError(await post(route, raw), raw.slice(0, 20));
      }
    });

    test('a body over 8 KB → 413 payload_too_large', async () => {
      assertApiError(await post(route, JSON.stringify({ name: 'x'.repeat(8 * 1024) })), 'payload_too_large');
      assertApiError(await post(route, JSON.stringify({ name: 'x'.repeat(200_000) })), 'payload_too_large', '200 KB');
    });

    test('not JSON → 415 unsupported_media_type', async () => {
      const body = JSON.stringify({ decision: 'allow' });
      for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml']) {
        assertApiError(await post(route, body, type), 'unsupported_media_type', type);
      }
      assertApiError(await post(route, body, 'application/json; charset=latin1'), 'unsupported_media_type', 'latin1');
      assertApiError(await post(route, body, 'application/json', { 'content-encoding': 'x-made-up' }), 'unsupported_media_type', 'encoding');
    });

    test('compressed bodies: garbage → 4xx; a gzip bomb over the limit → 413', async () => {
      assertClientError(await post(route, 'not gzip at all', 'application/json', { 'content-encoding': 'gzip' }), 'garbage gzip');
      const bomb = zlib.gzipSync(JSON.stringify({ name: ' '.repeat(1_000_000) }));
      const res = await fetch(new URL(route.path, server.url), {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', ...(route.apiKey ? { authorization: `Bearer ${route.apiKey}` } : {}) },
        body: new Blob([new Uint8Array(bomb)]),
      });
      const text = await res.text();
      assertApiError({ status: res.status, headers: res.headers, body: JSON.parse(text), text }, 'payload_too_large', 'gzip bomb');
    });

    test('random JSON bodies never get a 5xx (property)', async () => {
      const keys = ['mobile', 'name', 'otp', 'consent', 'decision', 'consent_ticket', 'nonce', 'purpose', 'origin', 'client_id'];
      const value = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.string({ unit: 'binary', maxLength: 40 }), fc.constant('9876543210'));
      const body = fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.dictionary(fc.constantFrom(...keys), value, { maxKeys: 4 }));
      await fc.assert(
        fc.asyncProperty(body, async (b) => {
          const res = await post(route, JSON.stringify(b) ?? 'null');
          assert.ok(res.status < 500, `${res.status} for ${JSON.stringify(b)}: ${res.text}`);
          if (res.status >= 400) assertClientError(res, JSON.stringify(b));
        }),
        { numRuns: 60 },
      );
    });
  });
}

describe('bad session ids', () => {
  const ids = [
    'x',
    'ses_short',
    'ses_AAAAAAAAAAAAAAAAAAAAAAAA',
    `ses_${'A'.repeat(2000)}`,
    "ses_' OR '1'='1",
    '..%2F..%2Fetc%2Fpasswd',
    '%00',
    'ses_%C3%84%C3%84%C3%84%C3%84%C3%84%C3%84%C3%84%C3%84%C3%84%C3%84%C3%84%C3%84%C3%84%C3%84%C3%84%C3%84%C3%84%C3%84%C3%84%C3%84%C3%84%C3%84%C3%84%C3%84',
    '%ZZ',
    '%E2%82',
  ];
  const steps = [
    { method: 'GET', suffix: '', json: undefined },
    { method: 'POST', suffix: '/otp', json: { mobile: DEMO.asha.mobile, name: DEMO.asha.name } },
    { method: 'POST', suffix: '/otp/verify', json: { otp: '123456' } },
    { method: 'POST', suffix: '/consent', json: { decision: 'allow', consent_ticket: 't' } },
  ];
  for (const step of steps) {
    test(`${step.method} /v1/sessions/<bad id>${step.suffix} → 404 session_not_found (or 400 for an undecodable path)`, async () => {
      for (const id of ids) {
        const res = await server.api(step.method, `/v1/sessions/${id}${step.suffix}`, { apiKey: DEMO.railway.apiKey, json: step.json });
        assertClientError(res, id.slice(0, 30));
        assert.ok(['session_not_found', 'invalid_request', 'not_found'].includes(res.body.error), `${id.slice(0, 30)}: ${res.text}`);
      }
    });
  }
});

describe('bad credentials', () => {
  test('a malformed, unknown or wrong-scheme Authorization header is 401, never a fall-back to widget mode', async () => {
    const body = { client_id: DEMO.railway.id, origin: DEMO.origin };
    for (const header of ['Bearer', 'Bearer ', 'Basic ZGVtbzpkZW1v', `Bearer ${'k'.repeat(300)}`, 'Bearer short', `Bearer ${DEMO.railway.apiKey} extra`, `bearer${DEMO.railway.apiKey}`]) {
      const res = await server.api('POST', '/v1/sessions', { json: body, headers: { authorization: header } });
      assertApiError(res, 'unauthorized', header.slice(0, 30));
    }
  });

  test('the demo outbox query is validated too', async () => {
    for (const query of ['mobile=abc', 'mobile=1&mobile=2', 'other=1']) {
      assertApiError(await server.api('GET', `/v1/dev/sms?${query}`), 'invalid_request', query);
    }
  });
});

test('the server is still healthy after all of the above', async () => {
  const res = await server.api('GET', '/healthz');
  assert.equal(res.status, 200);
  assert.ok(!server.logs.some((l) => l.includes('"unhandled error"')), 'no request reached the unhandled-error path');
  const id = await createSession(server, RAILWAY_WIDGET);
  const ok = await server.api('POST', `/v1/sessions/${id}/otp`, { json: { mobile: DEMO.meera.mobile, name: DEMO.meera.name } });
  assert.equal(ok.status, 202, ok.text);
});
