// Expiry over real HTTP, with short lifetimes (OTP 2 s, session 5 s) and waits on the
// stored deadlines rather than fixed sleeps.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import {
  DEMO,
  RAILWAY_WIDGET,
  addBeneficiary,
  assertApiError,
  consent,
  createSession,
  requestOtp,
  startTestServer,
  tokenFor,
  verifiedSession,
  verifyOtp,
  waitUntilPast,
} from '../../test-support/harness.ts';

const SESSION_TTL_SECONDS = 5;
const server = await startTestServer({
  env: { KYCVS_OTP_TTL: '2', KYCVS_RESEND_AFTER: '2' },
  configure: (config) => {
    config.sessionTtlSeconds = SESSION_TTL_SECONDS;
  },
});
after(() => server.close());

const view = (id: string) => server.api('GET', `/v1/sessions/${id}`, { apiKey: DEMO.railway.apiKey });
const storedSession = async (id: string) => (await server.services.sessions.get(id))!;

describe('expiry', { concurrency: true }, () => {
  test('an OTP past its lifetime → 410 otp_expired; a fresh code then works', async () => {
    const person = await addBeneficiary(server);
    const id = await createSession(server, RAILWAY_WIDGET);
    const otp = await requestOtp(server, id, person);
    await waitUntilPast((await storedSession(id)).otpExpiresAt!, 'the OTP to expire');
    assertApiError(await verifyOtp(server, id, otp), 'otp_expired');
    const fresh = await requestOtp(server, id, person);
    const ok = await verifyOtp(server, id, fresh);
    assert.equal(ok.status, 200, ok.text);
  });

  test('the OTP answer tells the configured lifetime', async () => {
    const id = await createSession(server, RAILWAY_WIDGET);
    const res = await server.api('POST', `/v1/sessions/${id}/otp`, { json: { mobile: DEMO.asha.mobile, name: DEMO.asha.name } });
    assert.equal(res.body.expires_in, 2);
    assert.equal(res.body.resend_after, 2);
  });

  test('a session past its lifetime → 410 session_expired on every step, and reads as expired', async () => {
    const created = await server.api('POST', '/v1/sessions', { json: { client_id: DEMO.railway.id, origin: DEMO.origin } });
    const id = created.body.session_id;
    const expiresAt = Date.parse(created.body.expires_at);
    assert.ok(Math.abs(expiresAt - Date.now() - SESSION_TTL_SECONDS * 1000) < 2000, 'expires_at follows the configured TTL');
    await waitUntilPast(expiresAt, 'the session to expire');
    assertApiError(
      await server.api('POST', `/v1/sessions/${id}/otp`, { json: { mobile: DEMO.asha.mobile, name: DEMO.asha.name } }),
      'session_expired',
    );
    assertApiError(await verifyOtp(server, id, '123456'), 'session_expired');
    assertApiError(await consent(server, id, 'allow', 'x'), 'session_expired');
    const read = await view(id);
    assert.equal(read.status, 200);
    assert.equal(read.body.state, 'expired');
  });

  test('a verified session that expires before the citizen decides gives no token', async () => {
    const { sessionId, ticket } = await verifiedSession(server, await addBeneficiary(server));
    await waitUntilPast((await storedSession(sessionId)).expiresAt, 'the session to expire');
    assertApiError(await consent(server, sessionId, 'allow', ticket), 'session_expired');
    assert.equal((await view(sessionId)).body.token, undefined);
    assert.deepEqual(await server.services.audit.forSession(sessionId), []);
  });

  test('a completed session stays readable, with its token, after its lifetime', async () => {
    const { sessionId, token } = await tokenFor(server, await addBeneficiary(server));
    await waitUntilPast((await storedSession(sessionId)).expiresAt, 'the session to expire');
    const read = await view(sessionId);
    assert.equal(read.body.state, 'completed');
    assert.equal(read.body.token, token);
  });
});
