// Who may start and drive a verification: widget mode (client id + allowlisted origin), API keys
// (rotation, revocation), disabled clients, and the demo clients' origins following DEMO_PORT.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import {
  DEMO,
  RAILWAY_WIDGET,
  assertApiError,
  createSession,
  requestOtp,
  startTestServer,
  verifiedSession,
} from '../../test-support/harness.ts';

const server = await startTestServer();
after(() => server.close());

const widgetCreate = (body: Record<string, unknown>) => server.api('POST', '/v1/sessions', { json: body });

let clientSeq = 0;
async function newClient(allowedOrigins: string[] = [DEMO.origin]) {
  return server.services.clients.create({ id: `test-client-${clientSeq++}`, name: 'Test Verifier', purpose: 'Testing access', allowedOrigins, widgetSessions: true });
}

describe('widget mode: client id and an allowlisted origin', () => {
  test('both demo origins are allowed (a trailing slash is the same origin)', async () => {
    for (const origin of ['http://localhost:8081', 'http://127.0.0.1:8081', 'http://localhost:8081/']) {
      const res = await widgetCreate({ client_id: DEMO.hotel.id, origin });
      assert.equal(res.status, 201, `${origin}: ${res.text}`);
    }
  });

  test('any other origin → 403 origin_not_allowed', async () => {
    const refused = [
      'https://evil.example',
      'http://localhost:8082',
      'https://localhost:8081',
      'http://localhost:8081/booking',
      'http://localhost:8081?next=/',
      'http://localhost:8081#x',
      'http://user:pw@localhost:8081',
      'http://localhost.evil.example:8081',
      'null',
      'javascript:alert(1)',
      'file:///etc/passwd',
      '*',
    ];
    for (const origin of refused) assertApiError(await widgetCreate({ client_id: DEMO.railway.id, origin }), 'origin_not_allowed', origin);
  });

  test('one client’s allowed origin does not open another client', async () => {
    const other = await newClient(['https://shop.example']);
    assertApiError(await widgetCreate({ client_id: other.client.id, origin: DEMO.origin }), 'origin_not_allowed');
    assert.equal((await widgetCreate({ client_id: other.client.id, origin: 'https://shop.example' })).status, 201);
  });

  test('without an origin, without a client id, or with an unknown client id → 401 unauthorized', async () => {
    assertApiError(await widgetCreate({ client_id: DEMO.railway.id }), 'unauthorized', 'no origin');
    assertApiError(await widgetCreate({ origin: DEMO.origin }), 'unauthorized', 'no client id');
    assertApiError(await widgetCreate({}), 'unauthorized', 'nothing');
    assertApiError(await widgetCreate({ client_id: 'no-such-client', origin: DEMO.origin }), 'unauthorized', 'unknown client');
  });

  test('with an API key, an origin given must be allowlisted too, and client_id must be the key’s own', async () => {
    const create = (json: Record<string, unknown>) => server.api('POST', '/v1/sessions', { apiKey: DEMO.railway.apiKey, json });
    assert.equal((await create({ origin: DEMO.origin })).status, 201);
    assert.equal((await create({ client_id: DEMO.railway.id })).status, 201);
    assertApiError(await create({ origin: 'https://evil.example' }), 'origin_not_allowed');
    const mismatch = await create({ client_id: DEMO.hotel.id });
    assertApiError(mismatch, 'invalid_request');
    assert.deepEqual(mismatch.body.fields, ['client_id']);
  });

  test('the demo clients’ origins follow DEMO_PORT', async () => {
    const other = await startTestServer({ env: { DEMO_PORT: '9555' } });
    try {
      const create = (origin: string) => other.api('POST', '/v1/sessions', { json: { client_id: DEMO.railway.id, origin } });
      assert.equal((await create('http://localhost:9555')).status, 201);
      assert.equal((await create('http://127.0.0.1:9555')).status, 201);
      assertApiError(await create('http://localhost:8081'), 'origin_not_allowed');
    } finally {
      await other.close();
    }
  });
});

describe('API keys', () => {
  test('a new client’s key works; after rotation with revoke, the old key is 401 and the new one works', async () => {
    const { client, apiKey } = await newClient();
    const create = (key: string) => server.api('POST', '/v1/sessions', { apiKey: key, json: {} });
    const first = await create(apiKey);
    assert.equal(first.status, 201);
    assert.equal(first.body.client.id, client.id);
    const rotated = await server.services.clients.rotateKey(client.id, { revokeOthers: true });
    assertApiError(await create(apiKey), 'unauthorized', 'the revoked key');
    assert.equal((await create(rotated)).status, 201);
  });

  test('rotation without revoke keeps both keys working until one is revoked', async () => {
    const { client, apiKey } = await newClient();
    const second = await server.services.clients.rotateKey(client.id);
    const create = (key: string) => server.api('POST', '/v1/sessions', { apiKey: key, json: {} });
    assert.equal((await create(apiKey)).status, 201);
    assert.equal((await create(second)).status, 201);
    const [oldest] = await server.services.clients.keys(client.id);
    await server.services.clients.revokeKey(client.id, oldest!.id);
    assertApiError(await create(apiKey), 'unauthorized');
    assert.equal((await create(second)).status, 201);
  });

  test('a key is good only for its own client’s sessions', async () => {
    const mine = await newClient();
    const id = await createSession(server, { apiKey: mine.apiKey });
    for (const key of [DEMO.railway.apiKey, DEMO.hotel.apiKey]) {
      assertApiError(await server.api('GET', `/v1/sessions/${id}`, { apiKey: key }), 'session_not_found');
    }
    assert.equal((await server.api('GET', `/v1/sessions/${id}`, { apiKey: mine.apiKey })).status, 200);
  });
});

describe('disabled client', () => {
  test('widget mode: no new session (403 client_disabled); its open sessions stop at every step; enabling again resumes', async () => {
    const { client } = await newClient();
    const widget = { widget: { clientId: client.id, origin: DEMO.origin } };
    const early = await createSession(server, widget);
    const { sessionId, ticket } = await verifiedSession(server, DEMO.asha, widget);
    await server.services.clients.setStatus(client.id, 'disabled');

    assertApiError(await widgetCreate({ client_id: client.id, origin: DEMO.origin }), 'client_disabled', 'create');
    assertApiError(
      await server.api('POST', `/v1/sessions/${early}/otp`, { json: { mobile: DEMO.asha.mobile, name: DEMO.asha.name } }),
      'client_disabled',
      'otp',
    );
    assertApiError(await server.api('POST', `/v1/sessions/${early}/otp/verify`, { json: { otp: '123456' } }), 'client_disabled', 'verify');
    assertApiError(
      await server.api('POST', `/v1/sessions/${sessionId}/consent`, { json: { decision: 'allow', consent_ticket: ticket } }),
      'client_disabled',
      'consent',
    );
    assert.deepEqual(await server.services.audit.forSession(sessionId), [], 'no token for a disabled verifier');

    await server.services.clients.setStatus(client.id, 'active');
    await requestOtp(server, early, DEMO.asha);
  });

  test('API-key mode: a disabled client’s valid key gets 403 client_disabled (not a misleading 401) on every route', async () => {
    const { client, apiKey } = await newClient();
    const id = await createSession(server, { apiKey });
    await server.services.clients.setStatus(client.id, 'disabled');
    const calls: [string, string, unknown][] = [
      ['POST', '/v1/sessions', {}],
      ['GET', `/v1/sessions/${id}`, undefined],
      ['POST', `/v1/sessions/${id}/otp`, { mobile: DEMO.asha.mobile, name: DEMO.asha.name }],
      ['POST', `/v1/sessions/${id}/otp/verify`, { otp: '123456', consent: true }],
    ];
    for (const [method, path, json] of calls) {
      assertApiError(await server.api(method, path, { apiKey, json }), 'client_disabled', `${method} ${path}`);
    }
    assertApiError(await server.api('POST', '/v1/sessions', { apiKey: 'kvs_not-a-key-of-anyone-here', json: {} }), 'unauthorized', 'an unknown key is still 401');
  });
});

test('a widget session is driven by its id alone: the widget needs no key after creation', async () => {
  const id = await createSession(server, RAILWAY_WIDGET);
  await requestOtp(server, id, DEMO.meera);
});
