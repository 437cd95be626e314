// The public and operator routes over real HTTP: discovery, JWKS, health, metrics, the demo
// outbox, unknown paths and methods, request ids, and the security headers every answer carries.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { STATUS_TOKEN_TYPE, VACCINATION_STATUSES } from '../../protocol/api.ts';
import {
  DEMO,
  RAILWAY,
  RAILWAY_WIDGET,
  assertApiError,
  createSession,
  decodeJws,
  outbox,
  requestOtp,
  startTestServer,
  tokenFor,
  verifyOtp,
} from '../../test-support/harness.ts';

const server = await startTestServer();
after(() => server.close());

describe('discovery and keys', () => {
  test('kycvs-configuration names the issuer, a working jwks_uri, the token type and the status values', async () => {
    const res = await server.api('GET', '/.well-known/kycvs-configuration');
    assert.equal(res.status, 200);
    assert.equal(res.body.issuer, server.url);
    assert.equal(res.body.jwks_uri, `${server.url}/.well-known/jwks.json`);
    assert.equal(res.body.sessions_endpoint, `${server.url}/v1/sessions`);
    assert.equal(res.body.token_type, STATUS_TOKEN_TYPE);
    assert.deepEqual(res.body.token_signing_alg_values_supported, ['EdDSA']);
    assert.deepEqual(res.body.vaccination_status_values, VACCINATION_STATUSES);
    assert.ok(res.body.token_ttl_seconds > 0 && res.body.token_ttl_seconds <= 3600, 'tokens live minutes, not days');
    const jwks = await fetch(res.body.jwks_uri);
    assert.equal(jwks.status, 200);
    assert.ok(((await jwks.json()) as { keys: unknown[] }).keys.length > 0);
  });

  test('the JWKS publishes Ed25519 public keys only, readable cross-origin, and names the key tokens are signed with', async () => {
    const res = await server.api('GET', '/.well-known/jwks.json');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    assert.ok(res.body.keys.length >= 1);
    for (const key of res.body.keys) {
      assert.deepEqual(Object.keys(key).sort(), ['alg', 'crv', 'kid', 'kty', 'use', 'x']);
      assert.deepEqual([key.kty, key.crv, key.alg, key.use], ['OKP', 'Ed25519', 'EdDSA', 'sig']);
    }
    const { token } = await tokenFor(server, DEMO.arjun);
    const kid = decodeJws(token).header.kid;
    assert.ok(res.body.keys.some((k: { kid: string }) => k.kid === kid));
  });
});

describe('health and metrics', () => {
  test('GET /healthz → 200 { status: "ok" }', async () => {
    const res = await server.api('GET', '/healthz');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { status: 'ok' });
  });

  test('metrics: readable from loopback, labelled by route pattern, counting tokens, never naming a session or mobile', async () => {
    const read = async () => (await server.api('GET', '/metrics')).text;
    const tokensIssued = (text: string) => Number(/^kycvs_tokens_issued_total (\d+)/m.exec(text)?.[1] ?? NaN);
    const before = tokensIssued(await read());
    const { sessionId } = await tokenFor(server, DEMO.asha);
    const res = await server.api('GET', '/metrics');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
    assert.equal(tokensIssued(res.text), before + 1);
    assert.match(res.text, /kycvs_http_request_duration_seconds_count\{[^}]*route="\/v1\/sessions\/:id\/otp"/);
    // The API's own paths, as dashboards and alerts name them: the create route has no trailing slash.
    assert.match(res.text, /kycvs_http_request_duration_seconds_count\{[^}]*route="\/v1\/sessions"/);
    assert.doesNotMatch(res.text, /route="\/v1\/sessions\/"/);
    assert.ok(!res.text.includes(sessionId), 'no session id in metrics');
    assert.ok(!res.text.includes('ses_'), 'no session id in metrics');
    assert.ok(!res.text.includes(DEMO.asha.mobile), 'no mobile in metrics');
  });

  test('KYCVS_STEP_TIMING: each named step of the widget path is timed by endpoint; off by default', async () => {
    assert.doesNotMatch((await server.api('GET', '/metrics')).text, /kycvs_flow_step_seconds/);
    const timed = await startTestServer({ env: { KYCVS_STEP_TIMING: '1' } });
    try {
      await tokenFor(timed, DEMO.asha);
      const text = (await timed.api('GET', '/metrics')).text;
      const count = (endpoint: string, step: string) =>
        Number(new RegExp(`^kycvs_flow_step_seconds_count\\{endpoint="${endpoint}",step="${step}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
      for (const [endpoint, step] of [
        ['create', 'storeSession'],
        ['send_code', 'countQuotas'],
        ['send_code', 'deliverCode'],
        ['verify_code', 'checkCode'],
        ['verify_code', 'issueTicket'],
        ['allow', 'requireState'],
        ['allow', 'signToken'],
        ['allow', 'recordDisclosure'],
      ]) {
        assert.equal(count(endpoint!, step!), 1, `${endpoint} ${step}`);
      }
      assert.doesNotMatch(text, /step=""/, 'every step has a name');
    } finally {
      await timed.close();
    }
  });

  test('with KYCVS_METRICS_TOKEN, metrics need that bearer token (403 forbidden otherwise)', async () => {
    const guarded = await startTestServer({ env: { KYCVS_METRICS_TOKEN: 'ops-secret-token-123' } });
    try {
      assertApiError(await guarded.api('GET', '/metrics'), 'forbidden');
      assertApiError(await guarded.api('GET', '/metrics', { apiKey: 'wrong-token-value-xyz' }), 'forbidden');
      assertApiError(await guarded.api('GET', '/metrics', { apiKey: DEMO.railway.apiKey }), 'forbidden', 'a client API key is not an operator token');
      const ok = await guarded.api('GET', '/metrics', { apiKey: 'ops-secret-token-123' });
      assert.equal(ok.status, 200);
      assert.match(ok.text, /kycvs_otp_requests_total/);
    } finally {
      await guarded.close();
    }
  });
});

describe('when the store fails', () => {
  test('/healthz says unavailable (503); API calls get 500 internal_error with nothing internal; the log has the cause', async () => {
    const broken = await startTestServer();
    try {
      const id = await createSession(broken, RAILWAY);
      broken.services.db!.close();
      const health = await broken.api('GET', '/healthz');
      assert.equal(health.status, 503);
      assert.deepEqual(health.body, { status: 'unavailable' });
      const res = await broken.api('GET', `/v1/sessions/${id}`, { apiKey: DEMO.railway.apiKey });
      assertApiError(res, 'internal_error');
      assert.ok(broken.logs.some((l) => l.includes('unhandled error') && l.includes('database connection is not open')), 'the cause is logged');
    } finally {
      await broken.close();
    }
  });
});

describe('demo outbox', () => {
  test('GET /v1/dev/sms?mobile= lists that mobile’s texts, newest first, with to, text, sent_at', async () => {
    const first = await requestOtp(server, await createSession(server, RAILWAY_WIDGET), DEMO.arjun);
    const second = await requestOtp(server, await createSession(server, RAILWAY_WIDGET), DEMO.arjun);
    const messages = await outbox(server, DEMO.arjun.mobile);
    assert.deepEqual(Object.keys(messages[0]!).sort(), ['sent_at', 'text', 'to']);
    assert.ok(messages.every((m) => m.to === DEMO.arjun.mobile));
    assert.ok(messages[0]!.text.startsWith(second) && messages[1]!.text.startsWith(first), 'newest first');
    assert.ok(Date.parse(messages[0]!.sent_at) >= Date.parse(messages[1]!.sent_at));
    const formatted = await server.api('GET', `/v1/dev/sms?mobile=${encodeURIComponent('+91 91234-56780')}`);
    assert.deepEqual(formatted.body.messages, messages, 'the query mobile is normalised like any other');
  });
});

describe('unknown paths and methods', () => {
  test('unknown paths → 404 not_found', async () => {
    for (const path of ['/', '/v1', '/v2/sessions', '/.well-known/openid-configuration', '/v1/sessions/ses_AAAAAAAAAAAAAAAAAAAAAAAA/nope']) {
      assertApiError(await server.api('GET', path), 'not_found', path);
    }
  });

  test('known paths with the wrong method → 405 method_not_allowed', async () => {
    const id = await createSession(server, RAILWAY);
    const cases: [string, string][] = [
      ['GET', '/v1/sessions'],
      ['PUT', '/v1/sessions'],
      ['DELETE', `/v1/sessions/${id}`],
      ['PATCH', `/v1/sessions/${id}`],
      ['GET', `/v1/sessions/${id}/otp`],
      ['GET', `/v1/sessions/${id}/otp/verify`],
      ['GET', `/v1/sessions/${id}/consent`],
      ['POST', '/.well-known/jwks.json'],
      ['POST', '/.well-known/kycvs-configuration'],
      ['POST', '/healthz'],
      ['POST', '/metrics'],
      ['POST', '/v1/dev/sms'],
    ];
    for (const [method, path] of cases) {
      assertApiError(await server.api(method, path, { apiKey: DEMO.railway.apiKey }), 'method_not_allowed', `${method} ${path}`);
    }
    assert.equal((await server.api('GET', `/v1/sessions/${id}`, { apiKey: DEMO.railway.apiKey })).body.state, 'created', 'nothing changed');
  });
});

describe('headers', () => {
  test('every answer carries a request id; a well-formed inbound X-Request-Id is kept, a malformed one replaced', async () => {
    const fresh = await server.api('GET', '/healthz');
    assert.match(fresh.headers.get('x-request-id') ?? '', /^[a-z0-9]{16}$/);
    const kept = await server.api('GET', '/healthz', { headers: { 'x-request-id': 'trace-abc.123_XYZ' } });
    assert.equal(kept.headers.get('x-request-id'), 'trace-abc.123_XYZ');
    const replaced = await server.api('GET', '/healthz', { headers: { 'x-request-id': 'bad id with spaces' } });
    assert.notEqual(replaced.headers.get('x-request-id'), 'bad id with spaces');
    assert.match(replaced.headers.get('x-request-id') ?? '', /^[a-z0-9]{16}$/);
  });

  test('API answers, errors included, carry the security headers and no framework banner', async () => {
    const answers = [
      await server.api('GET', '/healthz'),
      await server.api('GET', '/.well-known/jwks.json'),
      await server.api('POST', '/v1/sessions', { apiKey: DEMO.railway.apiKey, json: {} }),
      await server.api('POST', '/v1/sessions', { json: { nonce: 1 } }),
      await server.api('GET', '/nope'),
    ];
    for (const res of answers) {
      const where = `${res.status} ${res.text.slice(0, 60)}`;
      const csp = res.headers.get('content-security-policy') ?? '';
      assert.match(csp, /default-src 'none'/, where);
      assert.match(csp, /frame-ancestors 'none'/, where);
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff', where);
      assert.ok(res.headers.get('x-frame-options'), where);
      assert.equal(res.headers.get('referrer-policy'), 'no-referrer', where);
      assert.ok(res.headers.get('strict-transport-security'), where);
      assert.equal(res.headers.get('x-powered-by'), null, where);
      assert.match(res.headers.get('content-type') ?? '', /^application\/json/, where);
    }
  });

  test('answers that carry a token, a consent ticket or session state are never cached (Cache-Control: no-store)', async () => {
    const id = await createSession(server, RAILWAY);
    const otp = await requestOtp(server, id, DEMO.asha);
    const verified = await verifyOtp(server, id, otp, RAILWAY, true);
    const read = await server.api('GET', `/v1/sessions/${id}`, { apiKey: DEMO.railway.apiKey });
    const widget = await tokenFor(server, DEMO.ravi);
    for (const [what, res] of [['verify with consent (token)', verified], ['session read (token)', read], ['widget verify (ticket)', widget.verify]] as const) {
      assert.match(res.headers.get('cache-control') ?? '(none)', /no-store/, what);
    }
  });

  test('the loader a host page includes is revalidated, not downloaded again: ETag, then 304 Not Modified', async () => {
    const first = await fetch(`${server.url}/embed.js`);
    await first.arrayBuffer();
    assert.equal(first.status, 200);
    const etag = first.headers.get('etag');
    assert.ok(etag, 'embed.js has an ETag');
    // As a browser revalidates its cached copy (fetch() would otherwise add Cache-Control: no-cache).
    const again = await fetch(`${server.url}/embed.js`, { headers: { 'If-None-Match': etag, 'Cache-Control': 'max-age=0' } });
    assert.equal(again.status, 304);
  });

  test('keys, discovery and the API docs are revalidated with their ETag (304, no body); no-store answers carry none', async () => {
    for (const path of ['/.well-known/jwks.json', '/.well-known/kycvs-configuration', '/openapi.json', '/docs/']) {
      const first = await fetch(`${server.url}${path}`);
      const body = await first.text();
      const etag = first.headers.get('etag');
      assert.ok(etag, `${path} has an ETag`);
      assert.match(first.headers.get('cache-control') ?? '', /max-age=300/, path);
      const again = await fetch(`${server.url}${path}`, { headers: { 'If-None-Match': etag, 'Cache-Control': 'max-age=0' } });
      assert.equal(again.status, 304, path);
      assert.equal(await again.text(), '', path);
      const stale = await fetch(`${server.url}${path}`, { headers: { 'If-None-Match': '"an-older-version"', 'Cache-Control': 'max-age=0' } });
      assert.equal(stale.status, 200, path);
      assert.equal(await stale.text(), body, path);
    }
    const id = await createSession(server, RAILWAY);
    const read = await server.api('GET', `/v1/sessions/${id}`, { apiKey: DEMO.railway.apiKey });
    assert.equal(read.status, 200);
    assert.equal(read.headers.get('etag'), null, 'a session answer is no-store: nothing to revalidate');
  });
});
