// Every error code of protocol/api.ts that the API can answer with, each provoked over real HTTP
// and checked for its status and `{ error, message }` body. The table must name every code:
// a code added to API_ERRORS without a way to reach it here fails the last test.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { API_ERRORS, type ApiErrorCode } from '../../protocol/api.ts';
import {
  DEMO,
  OTP_IN_TEXT,
  type Person,
  RAILWAY,
  RAILWAY_WIDGET,
  type ApiResponse,
  addBeneficiary,
  assertApiError,
  consent,
  createSession,
  outbox,
  requestOtp,
  startTestServer,
  verifyOtp,
  waitFor,
  wrongOtp,
} from '../../test-support/harness.ts';

const server = await startTestServer({
  env: { KYCVS_OTP_TTL: '1', KYCVS_RESEND_AFTER: '2', KYCVS_MAX_SENDS_PER_SESSION: '2', KYCVS_SMS_PER_MOBILE_HOUR: '3' },
});
after(() => server.close());

/** Codes no request may ever get: a 500 is a bug. */
const UNREACHABLE: ApiErrorCode[] = ['internal_error'];

const sendOtp = (id: string, { mobile, name }: Person) => server.api('POST', `/v1/sessions/${id}/otp`, { json: { mobile, name } });
const freshOtpSession = async () => {
  const person = await addBeneficiary(server);
  const id = await createSession(server, RAILWAY_WIDGET);
  return { id, person, otp: await requestOtp(server, id, person) };
};

const triggers: Record<Exclude<ApiErrorCode, 'internal_error'>, () => Promise<ApiResponse>> = {
  invalid_request: () => server.api('POST', '/v1/sessions', { apiKey: DEMO.railway.apiKey, json: { nonce: 42 } }),
  invalid_json: () => server.api('POST', '/v1/sessions', { raw: '{"nonce":', headers: { 'content-type': 'application/json' } }),
  otp_invalid: async () => {
    const { id, otp } = await freshOtpSession();
    return verifyOtp(server, id, wrongOtp(otp));
  },
  unauthorized: () => server.api('POST', '/v1/sessions', { apiKey: 'kvs_not-a-key-of-anyone-here', json: {} }),
  forbidden: async () => {
    const { id, otp } = await freshOtpSession();
    return verifyOtp(server, id, otp, undefined, true);
  },
  origin_not_allowed: () => server.api('POST', '/v1/sessions', { json: { client_id: DEMO.railway.id, origin: 'https://evil.example' } }),
  client_disabled: async () => {
    const { client } = await server.services.clients.create({
      id: 'paused-verifier',
      name: 'Paused Verifier',
      purpose: 'Testing',
      allowedOrigins: [DEMO.origin],
    });
    await server.services.clients.setStatus(client.id, 'disabled');
    return server.api('POST', '/v1/sessions', { json: { client_id: client.id, origin: DEMO.origin } });
  },
  not_found: () => server.api('GET', '/v1/nothing-here'),
  session_not_found: () => server.api('GET', '/v1/sessions/ses_AAAAAAAAAAAAAAAAAAAAAAAA', { apiKey: DEMO.railway.apiKey }),
  method_not_allowed: () => server.api('DELETE', '/v1/sessions'),
  invalid_state: async () => consent(server, await createSession(server, RAILWAY_WIDGET), 'allow', 'ticket'),
  person_mismatch: async () => {
    const { id } = await freshOtpSession();
    return sendOtp(id, DEMO.arjun);
  },
  name_not_matched: async () => {
    const id = await createSession(server, RAILWAY_WIDGET);
    const otp = await requestOtp(server, id, { mobile: DEMO.asha.mobile, name: 'Asha Varma' });
    const verified = await verifyOtp(server, id, otp);
    return consent(server, id, 'allow', verified.body.consent_ticket);
  },
  name_fixed_by_host: async () => {
    // The host backend fixed a name that matches no one; the frame enters the code, then tries another name.
    const person = await addBeneficiary(server);
    const created = await server.api('POST', '/v1/sessions', { apiKey: DEMO.railway.apiKey, json: { mobile: person.mobile, name: 'Someone Else' } });
    const otp = OTP_IN_TEXT.exec((await outbox(server, person.mobile))[0]!.text)![1]!;
    const verified = await verifyOtp(server, created.body.session_id, otp);
    return server.api('POST', `/v1/sessions/${created.body.session_id}/name`, { json: { consent_ticket: verified.body.consent_ticket, name: person.name } });
  },
  name_tries_exhausted: async () => {
    const person = await addBeneficiary(server);
    const id = await createSession(server, RAILWAY_WIDGET);
    const verified = await verifyOtp(server, id, await requestOtp(server, id, { mobile: person.mobile, name: 'Someone Else' }));
    const tryName = () => server.api('POST', `/v1/sessions/${id}/name`, { json: { consent_ticket: verified.body.consent_ticket, name: 'Nobody Here' } });
    for (let i = 0; i < 3; i++) assert.equal((await tryName()).status, 200);
    return tryName();
  },
  otp_not_sent: async () => verifyOtp(server, await createSession(server, RAILWAY_WIDGET), '123456'),
  session_expired: async () => {
    // A session whose lifetime is over (expiry itself, in real time, is in expiry.test.ts).
    const id = `ses_${'expired0'.repeat(3)}`;
    const past = Date.now() - 60_000;
    await server.services.sessions.create({ id, clientId: DEMO.railway.id, mode: 'widget', origin: DEMO.origin, purpose: 'p', nonce: null, createdAt: past - 1000, expiresAt: past });
    return sendOtp(id, DEMO.asha);
  },
  otp_expired: async () => {
    const { id, otp } = await freshOtpSession();
    const { otpExpiresAt } = (await server.services.sessions.get(id))!;
    await waitFor(() => Date.now() > otpExpiresAt!, { what: 'the OTP to expire' });
    return verifyOtp(server, id, otp);
  },
  payload_too_large: () => server.api('POST', '/v1/sessions', { json: { purpose: 'x'.repeat(9 * 1024) } }),
  unsupported_media_type: () => server.api('POST', '/v1/sessions', { raw: 'client_id=demo-railway', headers: { 'content-type': 'application/x-www-form-urlencoded' } }),
  otp_locked: async () => {
    const { id, otp } = await freshOtpSession();
    for (let i = 0; i < 4; i++) assertApiError(await verifyOtp(server, id, wrongOtp(otp)), 'otp_invalid');
    return verifyOtp(server, id, wrongOtp(otp));
  },
  resend_too_soon: async () => {
    const { id, person } = await freshOtpSession();
    return sendOtp(id, person);
  },
  send_limit_reached: async () => {
    const { id, person } = await freshOtpSession();
    await waitFor(async () => (await sendOtp(id, person)).status === 202, { what: 'the resend' });
    return sendOtp(id, person);
  },
  rate_limited: async () => {
    // KYCVS_SMS_PER_MOBILE_HOUR=3: within 7 tries the cap is met even if the hour rolls over once.
    let last: ApiResponse | undefined;
    for (let i = 0; i < 7 && last?.status !== 429; i++) last = await sendOtp(await createSession(server, RAILWAY), DEMO.unregistered);
    return last!;
  },
  // A service whose rate counters live in a Redis that does not answer (nothing listens on port 9).
  service_unavailable: async () => {
    const away = await startTestServer({ env: { KYCVS_REDIS_URL: 'redis://127.0.0.1:9' } });
    try {
      return await away.api('POST', '/v1/sessions', { json: { client_id: DEMO.railway.id, origin: DEMO.origin } });
    } finally {
      await away.close();
    }
  },
};

describe('every API error code', () => {
  for (const [code, trigger] of Object.entries(triggers) as [ApiErrorCode, () => Promise<ApiResponse>][]) {
    test(`${code} → ${API_ERRORS[code]}`, async () => {
      const res = await trigger();
      assertApiError(res, code);
      if (res.status === 429 || res.status === 503) {
        // Every 429, the per-session lock included: the body and the header say when to retry.
        assert.ok(res.body.retry_after >= 1, 'a wait that ends says when to retry');
        assert.equal(res.headers.get('retry-after'), String(res.body.retry_after));
      }
    });
  }

  test('the table covers every code of API_ERRORS but the ones no request may get', () => {
    const covered = new Set([...Object.keys(triggers), ...UNREACHABLE]);
    assert.deepEqual([...covered].sort(), Object.keys(API_ERRORS).sort());
  });
});
