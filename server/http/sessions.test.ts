// The verification flow over real HTTP: widget and server-to-server modes, the session state
// machine, one token per session under concurrency, session reads, and the audit trail.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import {
  DEMO,
  HOTEL,
  OTP_IN_TEXT,
  RAILWAY,
  RAILWAY_WIDGET,
  assertApiError,
  consent,
  createSession,
  decodeJws,
  outbox,
  requestOtp,
  startTestServer,
  tokenFor,
  verifiedSession,
  verifyOtp,
} from '../../test-support/harness.ts';

const server = await startTestServer();
after(() => server.close());

const view = (id: string, apiKey: string = DEMO.railway.apiKey) => server.api('GET', `/v1/sessions/${id}`, { apiKey });

describe('widget flow', () => {
  test('the page cannot word the purpose the SMS states in the verifier’s name; the verifier’s backend can', async () => {
    const fromPage = await server.api('POST', '/v1/sessions', {
      json: { client_id: DEMO.railway.id, origin: DEMO.origin, purpose: 'Claim your prize, reply with the code' },
    });
    assertApiError(fromPage, 'forbidden');
    const fromBackend = await server.api('POST', '/v1/sessions', { apiKey: DEMO.railway.apiKey, json: { purpose: 'Tatkal booking PNR 123' } });
    assert.equal(fromBackend.status, 201, fromBackend.text);
    assert.equal(fromBackend.body.client.purpose, 'Tatkal booking PNR 123');
  });

  test('create → OTP → verify shows the status → allow returns a token the host can read back', async () => {
    const created = await server.api('POST', '/v1/sessions', {
      json: { client_id: DEMO.railway.id, origin: DEMO.origin, nonce: 'n-123' },
    });
    assert.equal(created.status, 201, created.text);
    assert.match(created.body.session_id, /^ses_[A-Za-z0-9_-]{24}$/);
    assert.deepEqual(created.body.client, { id: DEMO.railway.id, name: DEMO.railway.name, purpose: created.body.client.purpose });
    assert.ok(created.body.client.purpose.length > 0);
    const expiresIn = Date.parse(created.body.expires_at) - Date.now();
    assert.ok(expiresIn > 9 * 60_000 && expiresIn <= 10 * 60_000, `session lives 10 min, got ${expiresIn} ms`);
    const id = created.body.session_id;

    assert.equal((await view(id)).body.state, 'created');
    const otp = await requestOtp(server, id, DEMO.asha);
    assert.equal((await view(id)).body.state, 'otp_sent');

    const verified = await verifyOtp(server, id, otp);
    assert.equal(verified.status, 200, verified.text);
    const { consent_ticket: ticket, ...shown } = verified.body;
    assert.deepEqual(shown, { name_matched: true }, 'no status before the citizen decides');
    assert.equal(typeof ticket, 'string');
    const mid = await view(id);
    assert.equal(mid.body.state, 'verified');
    assert.equal(mid.body.token, undefined, 'no token before the citizen allows');

    const allowed = await consent(server, id, 'allow', ticket);
    assert.equal(allowed.status, 200, allowed.text);
    assert.equal(allowed.body.vaccination_status, 2);
    assert.equal(decodeJws(allowed.body.token).payload.nonce, 'n-123');

    const done = await view(id);
    assert.equal(done.status, 200);
    assert.equal(done.body.state, 'completed');
    assert.equal(done.body.token, allowed.body.token);
    assert.equal(done.body.vaccination_status, 2);
    assert.equal(done.body.nonce, 'n-123');
    assert.equal(done.body.client_id, DEMO.railway.id);
  });

  test('deny: no token, the session reads as denied, and the refusal is audited', async () => {
    const { sessionId, ticket } = await verifiedSession(server, DEMO.ravi);
    const denied = await consent(server, sessionId, 'deny', ticket);
    assert.equal(denied.status, 200, denied.text);
    assert.deepEqual(denied.body, { denied: true });
    const read = await view(sessionId);
    assert.equal(read.body.state, 'denied');
    assert.equal(read.body.token, undefined);
    assert.equal(read.body.vaccination_status, undefined);
    const audit = await server.services.audit.forSession(sessionId);
    assert.equal(audit.length, 1);
    assert.equal(audit[0]!.event, 'deny');
    assert.equal(audit[0]!.clientId, DEMO.railway.id);
    assert.equal(audit[0]!.vaccinationStatus, null, 'nothing was shared');
    assert.equal(audit[0]!.tokenJti, null);
    assert.ok(audit[0]!.purpose.length > 0);
    assert.ok(Math.abs(audit[0]!.at - Date.now()) < 60_000);
  });

  test('allow is audited with who asked, the purpose, the status shared and the token id', async () => {
    const { sessionId, token } = await tokenFor(server, DEMO.ravi, RAILWAY, { purpose: 'Tatkal booking PNR 42' });
    const audit = await server.services.audit.forSession(sessionId);
    const { payload } = decodeJws(token);
    assert.equal(audit.length, 1);
    assert.deepEqual(
      { event: audit[0]!.event, clientId: audit[0]!.clientId, purpose: audit[0]!.purpose, status: audit[0]!.vaccinationStatus },
      { event: 'allow', clientId: DEMO.railway.id, purpose: 'Tatkal booking PNR 42', status: 1 },
    );
    assert.equal(audit[0]!.tokenJti, payload.jti);
    assert.equal(audit[0]!.subject, payload.sub);
  });
});

describe('session context (what the widget reads of a session it was handed)', () => {
  test('shows the verifier and the purpose the backend set, nothing about the person; another client cannot read it', async () => {
    const created = await server.api('POST', '/v1/sessions', { apiKey: DEMO.railway.apiKey, json: { purpose: 'Tatkal booking PNR 7' } });
    const id = created.body.session_id;
    const context = await server.api('GET', `/v1/sessions/${id}/context`);
    assert.equal(context.status, 200, context.text);
    assert.deepEqual(context.body, {
      session_id: id,
      client: { id: DEMO.railway.id, name: DEMO.railway.name, purpose: 'Tatkal booking PNR 7' },
      state: 'created',
      expires_at: created.body.expires_at,
    });
    await requestOtp(server, id, DEMO.asha);
    const after = await server.api('GET', `/v1/sessions/${id}/context`);
    assert.equal(after.body.state, 'otp_sent');
    assert.doesNotMatch(after.text, /9876543210|Asha/i, 'no mobile or name');
    assertApiError(await server.api('GET', `/v1/sessions/${id}/context`, { apiKey: DEMO.hotel.apiKey }), 'session_not_found');
    assertApiError(await server.api('GET', '/v1/sessions/ses_AAAAAAAAAAAAAAAAAAAAAAAA/context'), 'session_not_found');
  });
});

describe('server-to-server flow', () => {
  test('mobile and name at creation send the OTP; consent: true with the API key returns the token at once', async () => {
    const before = (await outbox(server, DEMO.arjun.mobile)).length;
    const created = await server.api('POST', '/v1/sessions', {
      apiKey: DEMO.hotel.apiKey,
      json: { mobile: `+91 ${DEMO.arjun.mobile.slice(0, 5)} ${DEMO.arjun.mobile.slice(5)}`, name: 'SINGH, Arjun', nonce: 'hotel-1' },
    });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.body.client.id, DEMO.hotel.id);
    assert.deepEqual(created.body.otp, { expires_in: 180, resend_after: 30, sends_left: 2 });
    const messages = await outbox(server, DEMO.arjun.mobile);
    assert.equal(messages.length, before + 1, 'the OTP went out with the session');
    const otp = OTP_IN_TEXT.exec(messages[0]!.text)![1]!;

    const verified = await verifyOtp(server, created.body.session_id, otp, HOTEL, true);
    assert.equal(verified.status, 200, verified.text);
    assert.equal(verified.body.vaccination_status, 2);
    assert.equal('name_matched' in verified.body, false);
    assert.equal(typeof verified.body.token, 'string');
    assert.equal(decodeJws(verified.body.token).payload.aud, DEMO.hotel.id);

    const read = await view(created.body.session_id, DEMO.hotel.apiKey);
    assert.equal(read.body.state, 'completed');
    assert.equal(read.body.token, verified.body.token);
    const audit = await server.services.audit.forSession(created.body.session_id);
    assert.deepEqual(audit.map((a) => a.event), ['allow']);
  });

  test('consent: true without the API key is refused (403) and leaves the OTP usable', async () => {
    const id = await createSession(server, RAILWAY);
    const otp = await requestOtp(server, id, DEMO.asha);
    assertApiError(await verifyOtp(server, id, otp, undefined, true), 'forbidden');
    const plain = await verifyOtp(server, id, otp);
    assert.equal(plain.status, 200, plain.text);
    assert.equal(plain.body.token, undefined, 'no token without consent');
  });

  test('verify without consent from the host leaves the choice to a later consent call', async () => {
    const id = await createSession(server, RAILWAY);
    const otp = await requestOtp(server, id, DEMO.asha, RAILWAY);
    const verified = await verifyOtp(server, id, otp, RAILWAY, false);
    assert.equal(verified.status, 200, verified.text);
    assert.equal(verified.body.token, undefined);
    assert.equal((await view(id)).body.state, 'verified');
  });
});

describe('session state machine', () => {
  // Each row: how far the session got, then a step that is out of order there.
  const cases: { name: string; setup: (id: string) => Promise<unknown>; step: (id: string) => Promise<any>; code: 'invalid_state' | 'otp_not_sent' }[] = [
    { name: 'consent before any OTP', setup: async () => {}, step: (id) => consent(server, id, 'allow', 'x'), code: 'invalid_state' },
    { name: 'verify before any OTP', setup: async () => {}, step: (id) => verifyOtp(server, id, '123456'), code: 'otp_not_sent' },
    {
      name: 'consent with the OTP sent but not verified',
      setup: (id) => requestOtp(server, id, DEMO.asha),
      step: (id) => consent(server, id, 'allow', 'x'),
      code: 'invalid_state',
    },
  ];
  for (const c of cases) {
    test(`${c.name} → 409 ${c.code}`, async () => {
      const id = await createSession(server, RAILWAY_WIDGET);
      await c.setup(id);
      assertApiError(await c.step(id), c.code);
      const audit = await server.services.audit.forSession(id);
      assert.equal(audit.length, 0, 'nothing was decided');
    });
  }

  test('after verification: the OTP step is closed (send and verify → 409)', async () => {
    const id = await createSession(server, RAILWAY_WIDGET);
    const otp = await requestOtp(server, id, DEMO.asha);
    assert.equal((await verifyOtp(server, id, otp)).status, 200);
    assertApiError(await verifyOtp(server, id, otp), 'invalid_state', 'the same code twice');
    assertApiError(
      await server.api('POST', `/v1/sessions/${id}/otp`, { json: { mobile: DEMO.ravi.mobile, name: DEMO.ravi.name } }),
      'invalid_state',
      'swapping the person after verification',
    );
  });

  for (const first of ['allow', 'deny'] as const) {
    test(`after ${first}: every later decision is refused (409) and the first one stands`, async () => {
      const { sessionId, ticket } = await verifiedSession(server, DEMO.asha);
      const firstAnswer = await consent(server, sessionId, first, ticket);
      assert.equal(firstAnswer.status, 200);
      for (const again of ['allow', 'deny'] as const) assertApiError(await consent(server, sessionId, again, ticket), 'invalid_state');
      const read = await view(sessionId);
      assert.equal(read.body.state, first === 'allow' ? 'completed' : 'denied');
      assert.equal(read.body.token, firstAnswer.body.token);
      assert.deepEqual((await server.services.audit.forSession(sessionId)).map((a) => a.event), [first]);
    });
  }

  test('20 concurrent allows yield exactly one token, the one the session keeps, audited once', async () => {
    const { sessionId, ticket } = await verifiedSession(server, DEMO.asha);
    const answers = await Promise.all(Array.from({ length: 20 }, () => consent(server, sessionId, 'allow', ticket)));
    const ok = answers.filter((a) => a.status === 200);
    assert.equal(ok.length, 1, answers.map((a) => a.status).join(','));
    assert.equal(typeof ok[0]!.body.token, 'string');
    for (const a of answers.filter((x) => x.status !== 200)) assertApiError(a, 'invalid_state');
    assert.equal((await view(sessionId)).body.token, ok[0]!.body.token);
    const audit = await server.services.audit.forSession(sessionId);
    assert.equal(audit.length, 1);
    assert.equal(audit[0]!.tokenJti, decodeJws(ok[0]!.body.token).payload.jti);
  });

  test('concurrent allow and deny: exactly one decision wins and it is the one recorded', async () => {
    const { sessionId, ticket } = await verifiedSession(server, DEMO.asha);
    const decisions = Array.from({ length: 10 }, (_, i): 'allow' | 'deny' => (i % 2 ? 'allow' : 'deny'));
    const answers = await Promise.all(decisions.map((d) => consent(server, sessionId, d, ticket)));
    const winners = answers.flatMap((a, i) => (a.status === 200 ? [decisions[i]!] : []));
    assert.equal(winners.length, 1, answers.map((a) => a.status).join(','));
    assert.deepEqual((await server.services.audit.forSession(sessionId)).map((a) => a.event), winners);
  });

  test('20 concurrent verifies with the right code: exactly one succeeds', async () => {
    const id = await createSession(server, RAILWAY);
    const otp = await requestOtp(server, id, DEMO.asha);
    const answers = await Promise.all(Array.from({ length: 20 }, () => verifyOtp(server, id, otp, RAILWAY, true)));
    const ok = answers.filter((a) => a.status === 200);
    assert.equal(ok.length, 1, answers.map((a) => a.status).join(','));
    for (const a of answers.filter((x) => x.status !== 200)) assertApiError(a, 'invalid_state');
    assert.equal((await server.services.audit.forSession(id)).length, 1);
  });
});

describe('consent ticket', () => {
  test('a host that knows the session id cannot decide for the citizen: a missing or wrong ticket is refused', async () => {
    const { sessionId, ticket } = await verifiedSession(server, DEMO.asha, RAILWAY);
    const missing = await server.api('POST', `/v1/sessions/${sessionId}/consent`, { apiKey: DEMO.railway.apiKey, json: { decision: 'allow' } });
    assertApiError(missing, 'invalid_request');
    assert.deepEqual(missing.body.fields, ['consent_ticket']);
    assertApiError(await consent(server, sessionId, 'allow', `${ticket}x`, RAILWAY), 'forbidden', 'a wrong ticket with the API key');
    assertApiError(await consent(server, sessionId, 'allow', 'A'.repeat(ticket.length)), 'forbidden', 'a guessed ticket');
    assert.equal((await view(sessionId)).body.state, 'verified', 'still the citizen’s choice');
    assert.deepEqual(await server.services.audit.forSession(sessionId), []);
    const denied = await consent(server, sessionId, 'deny', ticket);
    assert.deepEqual(denied.body, { denied: true });
  });

  test('one session’s ticket does not decide another session', async () => {
    const a = await verifiedSession(server, DEMO.asha);
    const b = await verifiedSession(server, DEMO.asha);
    assertApiError(await consent(server, b.sessionId, 'allow', a.ticket), 'forbidden');
  });
});

describe('GET /v1/sessions/:id', () => {
  test('needs an API key (401), and another client’s key sees a missing session (404)', async () => {
    const id = await createSession(server, RAILWAY);
    assertApiError(await server.api('GET', `/v1/sessions/${id}`), 'unauthorized');
    assertApiError(await view(id, DEMO.hotel.apiKey), 'session_not_found');
    const own = await view(id);
    assert.equal(own.status, 200);
    assert.deepEqual(Object.keys(own.body).sort(), ['client_id', 'created_at', 'expires_at', 'nonce', 'person_fixed_by', 'purpose', 'session_id', 'state']);
    assert.equal(own.body.nonce, null);
  });

  test('another client’s key cannot drive someone else’s session either', async () => {
    const id = await createSession(server, RAILWAY);
    const asHotel = await server.api('POST', `/v1/sessions/${id}/otp`, {
      apiKey: DEMO.hotel.apiKey,
      json: { mobile: DEMO.asha.mobile, name: DEMO.asha.name },
    });
    assertApiError(asHotel, 'session_not_found');
  });

  test('a well-formed but unknown id is 404 session_not_found', async () => {
    assertApiError(await view('ses_AAAAAAAAAAAAAAAAAAAAAAAA'), 'session_not_found');
  });
});

describe('SMS text', () => {
  test('names the verifier and the purpose the host gave', async () => {
    const id = await createSession(server, HOTEL, { purpose: 'Room 204 check-in' });
    await requestOtp(server, id, DEMO.asha);
    const [latest] = await outbox(server, DEMO.asha.mobile);
    assert.match(latest!.text, /Demo Hotel/);
    assert.match(latest!.text, /Room 204 check-in/);
  });

  test('without a purpose, names the client’s registered purpose', async () => {
    const created = await server.api('POST', '/v1/sessions', { apiKey: DEMO.railway.apiKey, json: {} });
    await requestOtp(server, created.body.session_id, DEMO.asha);
    const [latest] = await outbox(server, DEMO.asha.mobile);
    assert.ok(latest!.text.includes(DEMO.railway.name));
    assert.ok(latest!.text.includes(created.body.client.purpose), latest!.text);
  });
});
