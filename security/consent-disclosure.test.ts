// Finding 1 of the outside review: the status leaked before consent, with no audit record. Every
// path that can answer about a session is driven here — the frame's, a host backend's with and
// without `consent: true`, the session read, the frame's context read, and the error answers — and
// every answer is checked: one that carries a status or a token must come after an `allow` record
// of that disclosure; `/otp/verify` never carries a status; an API key never learns whether the name matched.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import {
  type ApiResponse,
  DEMO,
  RAILWAY,
  RAILWAY_WIDGET,
  type TestServer,
  assertApiError,
  consent,
  createSession,
  outbox,
  OTP_IN_TEXT,
  requestOtp,
  startTestServer,
  verifyOtp,
  wrongOtp,
} from '../test-support/harness.ts';

const server = await startTestServer();
after(() => server.close());

/** Every answer one test saw, with the session it was about. */
class Observer {
  answers = 0;
  constructor(readonly server: TestServer) {}

  /** Fails if `res` reveals a status (or a token, which carries one) without an allow record written first. */
  async saw(res: ApiResponse, sessionId: string, what: string): Promise<ApiResponse> {
    this.answers++;
    const revealed = /"vaccination_status"|"token"\s*:/.test(res.text);
    if (revealed) {
      const audit = await this.server.services.audit.forSession(sessionId);
      assert.ok(audit.some((e) => e.event === 'allow'), `${what}: a status went out with no allow record: ${res.text}`);
    }
    return res;
  }
}

/** A backend-made session for `person`, its code read from the demo outbox. */
async function backendSession(person: { mobile: string; name: string }): Promise<{ sessionId: string; otp: string }> {
  const res = await server.api('POST', '/v1/sessions', { apiKey: DEMO.railway.apiKey, json: { mobile: person.mobile, name: person.name } });
  assert.equal(res.status, 201, res.text);
  const [text] = await outbox(server, person.mobile);
  const otp = OTP_IN_TEXT.exec(text!.text)?.[1];
  assert.ok(otp);
  return { sessionId: res.body.session_id, otp };
}

describe('no status before the citizen decides', () => {
  test('host backend, API key, right code without consent: no status, no name_matched, no audit row; a later deny stands', async () => {
    const seen = new Observer(server);
    const { sessionId, otp } = await backendSession(DEMO.asha);
    const verified = await seen.saw(await verifyOtp(server, sessionId, otp, RAILWAY), sessionId, 'verify with key');
    assert.equal(verified.status, 200, verified.text);
    assert.deepEqual(Object.keys(verified.body), ['consent_ticket'], 'the key caller gets the ticket only');
    assert.equal((await server.services.audit.forSession(sessionId)).length, 0);
    const view = await seen.saw(await server.api('GET', `/v1/sessions/${sessionId}`, { apiKey: DEMO.railway.apiKey }), sessionId, 'view');
    assert.equal(view.body.state, 'verified');
    assert.equal('vaccination_status' in view.body, false);
    const denied = await seen.saw(await consent(server, sessionId, 'deny', verified.body.consent_ticket, RAILWAY), sessionId, 'deny');
    assert.deepEqual(denied.body, { denied: true });
    const audit = await server.services.audit.forSession(sessionId);
    assert.deepEqual(audit.map((e) => [e.event, e.vaccinationStatus]), [['deny', null]]);
  });

  test('the frame (no key): the right code answers a ticket and whether the name matched — never the status', async () => {
    const seen = new Observer(server);
    for (const person of [DEMO.asha, DEMO.meera, { mobile: DEMO.asha.mobile, name: 'Asha Varma' }]) {
      const sessionId = await createSession(server, RAILWAY_WIDGET);
      const otp = await requestOtp(server, sessionId, person);
      const res = await seen.saw(await verifyOtp(server, sessionId, otp), sessionId, 'verify as frame');
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(Object.keys(res.body).sort(), ['consent_ticket', 'name_matched']);
      assert.equal(res.body.name_matched, person.name !== 'Asha Varma');
      const context = await seen.saw(await server.api('GET', `/v1/sessions/${sessionId}/context`), sessionId, 'context');
      assert.equal(context.body.state, 'verified');
    }
  });

  test('every path, every state: an answer with a status or token always follows an allow record', async () => {
    const seen = new Observer(server);
    const read = async (sessionId: string) => {
      await seen.saw(await server.api('GET', `/v1/sessions/${sessionId}`, { apiKey: DEMO.railway.apiKey }), sessionId, 'view');
      await seen.saw(await server.api('GET', `/v1/sessions/${sessionId}/context`), sessionId, 'context');
    };
    // Widget path to Share.
    let sessionId = await createSession(server, RAILWAY_WIDGET);
    await read(sessionId);
    let otp = await requestOtp(server, sessionId, DEMO.ravi);
    await read(sessionId);
    assertApiError(await seen.saw(await verifyOtp(server, sessionId, wrongOtp(otp)), sessionId, 'wrong code'), 'otp_invalid');
    const ticket = (await seen.saw(await verifyOtp(server, sessionId, otp), sessionId, 'verify')).body.consent_ticket;
    await read(sessionId);
    assertApiError(await seen.saw(await consent(server, sessionId, 'allow', 'not-the-ticket'), sessionId, 'bad ticket'), 'forbidden');
    const shared = await seen.saw(await consent(server, sessionId, 'allow', ticket), sessionId, 'allow');
    assert.equal(shared.body.vaccination_status, DEMO.ravi.status);
    await read(sessionId);
    assertApiError(await seen.saw(await consent(server, sessionId, 'deny', ticket), sessionId, 'late deny'), 'invalid_state');
    // Server-to-server with consent: true.
    ({ sessionId, otp } = await backendSession(DEMO.arjun));
    await read(sessionId);
    const direct = await seen.saw(await verifyOtp(server, sessionId, otp, RAILWAY, true), sessionId, 'consent: true');
    assert.equal(direct.status, 200, direct.text);
    assert.equal(typeof direct.body.token, 'string');
    await read(sessionId);
    const audit = await server.services.audit.forSession(sessionId);
    assert.deepEqual(audit.map((e) => [e.event, e.clientId, e.vaccinationStatus]), [['allow', DEMO.railway.id, DEMO.arjun.status]]);
    assert.ok(seen.answers >= 15, `${seen.answers} answers checked`);
  });

  test('a name that matches no one on the mobile is never shared as "not vaccinated": allow and consent: true are refused', async () => {
    const typo = { mobile: DEMO.asha.mobile, name: 'Asha Varma' };
    const sessionId = await createSession(server, RAILWAY_WIDGET);
    const otp = await requestOtp(server, sessionId, typo);
    const verified = await verifyOtp(server, sessionId, otp);
    assert.equal(verified.body.name_matched, false);
    const allow = await consent(server, sessionId, 'allow', verified.body.consent_ticket);
    assertApiError(allow, 'name_not_matched');
    assert.equal((await server.services.audit.forSession(sessionId)).length, 0, 'nothing was disclosed');
    // The citizen may still refuse: that is recorded like any refusal.
    assert.deepEqual((await consent(server, sessionId, 'deny', verified.body.consent_ticket)).body, { denied: true });

    const backend = await backendSession(typo);
    assertApiError(await verifyOtp(server, backend.sessionId, backend.otp, RAILWAY, true), 'name_not_matched');
    const view = await server.api('GET', `/v1/sessions/${backend.sessionId}`, { apiKey: DEMO.railway.apiKey });
    assert.equal(view.body.state, 'otp_sent');
    assert.equal('token' in view.body, false);
  });
});
