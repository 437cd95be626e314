// Finding 2 of the outside review: the widget path was authorised by body fields alone. A keyless
// session is a public-client session (OAuth's sense): only a client that opted in accepts them,
// and a browser's Origin header must be the frame's (this service) or the page the body names.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { DEMO, assertApiError, startTestServer } from '../test-support/harness.ts';

const server = await startTestServer();
after(() => server.close());

const keyless = (clientId: string, headers: Record<string, string> = {}) =>
  server.api('POST', '/v1/sessions', { json: { client_id: clientId, origin: DEMO.origin }, headers });

describe('public (keyless) sessions', () => {
  test('a client set to backend sessions only refuses keyless sessions; switching it takes effect without restart', async () => {
    await server.services.clients.update(DEMO.hotel.id, { widgetSessions: false });
    assertApiError(await keyless(DEMO.hotel.id), 'unauthorized');
    const withKey = await server.api('POST', '/v1/sessions', { apiKey: DEMO.hotel.apiKey, json: { origin: DEMO.origin } });
    assert.equal(withKey.status, 201, withKey.text);
    await server.services.clients.update(DEMO.hotel.id, { widgetSessions: true });
    assert.equal((await keyless(DEMO.hotel.id)).status, 201);
  });

  test('a new client accepts only backend-made sessions unless it opts in', async () => {
    const { client } = await server.services.clients.create({ id: 'new-verifier', name: 'New Verifier', purpose: 'Checking in', allowedOrigins: [DEMO.origin] });
    assert.equal(client.widgetSessions, false);
    assertApiError(await keyless(client.id), 'unauthorized');
  });

  test('the Origin header must be the frame (this service) or the declared page', async () => {
    assertApiError(await keyless(DEMO.hotel.id, { origin: 'https://evil.example' }), 'origin_not_allowed', 'another site');
    assert.equal((await keyless(DEMO.hotel.id, { origin: DEMO.origin })).status, 201, 'the declared page');
    assert.equal((await keyless(DEMO.hotel.id, { origin: server.url })).status, 201, 'the frame');
    assert.equal((await keyless(DEMO.hotel.id)).status, 201, 'no browser: no Origin header');
    const sessionId = (await keyless(DEMO.hotel.id)).body.session_id as string;
    const otp = (origin: string) =>
      server.api('POST', `/v1/sessions/${sessionId}/otp`, { json: { mobile: DEMO.asha.mobile, name: DEMO.asha.name }, headers: { origin } });
    assertApiError(await otp('https://evil.example'), 'origin_not_allowed', 'a later step from another site');
    assert.equal((await otp(server.url)).status, 202);
  });
});

test('as the demo seeds them: the railway takes only sessions from its backend, the hotel also keyless ones', async () => {
  const seeded = await startTestServer({ demoClientsAsSeeded: true });
  try {
    const ask = (clientId: string) => seeded.api('POST', '/v1/sessions', { json: { client_id: clientId, origin: DEMO.origin } });
    assertApiError(await ask(DEMO.railway.id), 'unauthorized');
    assert.equal((await ask(DEMO.hotel.id)).status, 201);
  } finally {
    await seeded.close();
  }
});
