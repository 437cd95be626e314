// The citizen's own history over real HTTP and SQLite: sign in with a code to the mobile, then read
// who checked the people on it — built from the audit the check writes, and nothing else.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import * as S from '../../protocol/schemas.ts';
import {
  DEMO,
  HOTEL,
  OTP_IN_TEXT,
  RAILWAY_WIDGET,
  type TestServer,
  assertApiError,
  consent,
  createSession,
  outbox,
  requestOtp,
  startTestServer,
  tokenFor,
  verifiedSession,
  verifyOtp,
  wrongOtp,
} from '../../test-support/harness.ts';

const server = await startTestServer();
after(() => server.close());

/** Asks for a sign-in code; the answer, and the code the SMS carried (null when no text was sent). */
async function sendCode(on: TestServer, mobile: string, signInId?: string) {
  const seen = (await outbox(on, mobile)).length;
  const res = await on.api('POST', '/v1/me/otp', { json: signInId ? { mobile, sign_in_id: signInId } : { mobile } });
  const messages = await outbox(on, mobile);
  const code = messages.length > seen ? (OTP_IN_TEXT.exec(messages[0]!.text)?.[1] ?? null) : null;
  return { res, code };
}

/** Signs in with the code the SMS carried; the `Cookie` header that the browser would send back. */
async function signIn(on: TestServer, mobile: string): Promise<string> {
  const { res, code } = await sendCode(on, mobile);
  assert.equal(res.status, 202, res.text);
  assert.ok(code, 'a code was texted');
  const verified = await on.api('POST', '/v1/me/otp/verify', { json: { sign_in_id: res.body.sign_in_id, otp: code } });
  assert.equal(verified.status, 200, verified.text);
  S.meVerifyResponse.parse(verified.body);
  const cookie = verified.headers.get('set-cookie');
  assert.ok(cookie, 'the sign-in cookie is set');
  return cookie.split(';')[0]!;
}

async function history(on: TestServer, cookie: string, query = '') {
  const res = await on.api('GET', `/v1/me/disclosures${query}`, { headers: { cookie } });
  assert.equal(res.status, 200, res.text);
  return S.meDisclosuresResponse.parse(res.body);
}

describe('who checked my status', () => {
  test('after a share and a refusal, the mobile’s owner sees each person’s history: who, why, when, what', async () => {
    const start = Date.now();
    await tokenFor(server, DEMO.asha, RAILWAY_WIDGET);
    const refused = await verifiedSession(server, DEMO.ravi, RAILWAY_WIDGET);
    assert.equal((await consent(server, refused.sessionId, 'deny', refused.ticket)).status, 200);
    await tokenFor(server, DEMO.arjun, HOTEL); // another mobile's
    const end = Date.now();

    const { people } = await history(server, await signIn(server, DEMO.asha.mobile));
    assert.deepEqual(
      people.map((p) => p.name),
      ['Asha Verma', 'Meera Verma', 'Ravi Verma'],
      'everyone on the mobile, by name',
    );
    const [asha, meera, ravi] = people;
    assert.equal(asha!.disclosures.length, 1);
    const shared = asha!.disclosures[0]!;
    assert.deepEqual({ ...shared, at: undefined }, {
      at: undefined,
      client_name: 'Demo Railways',
      purpose: (await server.services.clients.get(DEMO.railway.id))!.purpose,
      event: 'allow',
      vaccination_status: 2,
    });
    const at = Date.parse(shared.at);
    assert.ok(at >= start && at <= end, `the time of the share (${shared.at})`);
    assert.deepEqual(meera!.disclosures, []);
    assert.equal(ravi!.disclosures.length, 1);
    assert.equal(ravi!.disclosures[0]!.event, 'deny');
    assert.equal(ravi!.disclosures[0]!.client_name, 'Demo Railways');
    assert.equal('vaccination_status' in ravi!.disclosures[0]!, false, 'a refusal shared nothing');
    assert.ok(people.every((p) => p.older === null));
    assert.doesNotMatch(JSON.stringify(people), /Demo Hotel|Arjun/, 'another mobile’s history never appears');
  });

  test('another mobile sees only its own people, and nothing of the first mobile’s', async () => {
    await tokenFor(server, DEMO.arjun, HOTEL);
    const { people } = await history(server, await signIn(server, DEMO.arjun.mobile));
    assert.deepEqual(people.map((p) => p.name), ['Arjun Singh']);
    assert.ok(people[0]!.disclosures.length >= 1);
    assert.ok(people[0]!.disclosures.every((d) => d.client_name === 'Demo Hotel' && d.vaccination_status === 2));
    assert.doesNotMatch(JSON.stringify(people), /Demo Railways|Verma/);
  });

  test('newest first, 20 a page; `older` pages back to the first without gaps or repeats', async () => {
    const own = await startTestServer();
    try {
      const times: number[] = [];
      for (let i = 0; i < 23; i++) {
        await tokenFor(own, DEMO.arjun, RAILWAY_WIDGET);
        times.push(Date.now());
      }
      const cookie = await signIn(own, DEMO.arjun.mobile);
      const first = (await history(own, cookie)).people[0]!;
      assert.equal(first.disclosures.length, 20);
      assert.ok(first.older);
      const second = (await history(own, cookie, `?person=${first.ref}&before=${first.older}`)).people;
      assert.equal(second.length, 1);
      assert.equal(second[0]!.disclosures.length, 3);
      assert.equal(second[0]!.older, null);
      const all = [...first.disclosures, ...second[0]!.disclosures].map((d) => Date.parse(d.at));
      assert.deepEqual(all, [...all].sort((a, b) => b - a), 'newest first');
      assert.equal(all.length, 23);
      const bad = await own.api('GET', '/v1/me/disclosures?before=yesterday&person=x', { headers: { cookie } });
      assertApiError(bad, 'invalid_request');
    } finally {
      await own.close();
    }
  });

  test('the code answer has the same shape for an unregistered mobile, and no text goes to it', async () => {
    const registered = await sendCode(server, DEMO.asha.mobile);
    const unregistered = await sendCode(server, DEMO.unregistered.mobile);
    assert.equal(registered.res.status, 202);
    assert.equal(unregistered.res.status, 202);
    const shape = (body: Record<string, unknown>) => ({ ...body, sign_in_id: typeof body.sign_in_id });
    assert.deepEqual(shape(unregistered.res.body), shape(registered.res.body));
    assert.equal(unregistered.code, null, 'no SMS to an unregistered mobile');
    // A guess is refused alike: nothing tells the two apart.
    const guess = await server.api('POST', '/v1/me/otp/verify', { json: { sign_in_id: unregistered.res.body.sign_in_id, otp: '123456' } });
    assertApiError(guess, 'otp_invalid');
    assert.equal(guess.body.attempts_left, 4);
  });

  test('without a sign-in, or with a forged or ended one, the history is a 401', async () => {
    assertApiError(await server.api('GET', '/v1/me/disclosures'), 'unauthorized');
    const cookie = await signIn(server, DEMO.asha.mobile);
    const [name, value] = cookie.split('=');
    const [id, secret] = value!.split('.');
    const forged = `${name}=${id}.${secret!.slice(0, -2)}AA`;
    assertApiError(await server.api('GET', '/v1/me/disclosures', { headers: { cookie: forged } }), 'unauthorized');
    assert.equal((await server.api('GET', '/v1/me/disclosures', { headers: { cookie } })).status, 200);

    const out = await server.api('POST', '/v1/me/sign-out', { headers: { cookie } });
    assert.equal(out.status, 200);
    assert.match(out.headers.get('set-cookie') ?? '', /^kycvs_me=; Path=\/v1\/me; Max-Age=0/);
    assertApiError(await server.api('GET', '/v1/me/disclosures', { headers: { cookie } }), 'unauthorized', 'after sign-out');
  });

  test('the cookie: HttpOnly, SameSite=Strict, only for /v1/me, ten minutes, not Secure over plain http', async () => {
    const { res, code } = await sendCode(server, DEMO.arjun.mobile);
    const verified = await server.api('POST', '/v1/me/otp/verify', { json: { sign_in_id: res.body.sign_in_id, otp: code } });
    const attributes = (verified.headers.get('set-cookie') ?? '').split('; ').slice(1);
    assert.deepEqual(attributes.sort(), ['HttpOnly', 'Max-Age=600', 'Path=/v1/me', 'SameSite=Strict']);
    assert.equal(verified.headers.get('cache-control'), 'no-store');
    const ends = Date.parse(verified.body.expires_at) - Date.now();
    assert.ok(ends > 590_000 && ends <= 600_000, `signed in for ten minutes (${ends} ms)`);
    // The code was used up: it cannot sign in twice.
    const again = await server.api('POST', '/v1/me/otp/verify', { json: { sign_in_id: res.body.sign_in_id, otp: code } });
    assertApiError(again, 'invalid_state');
  });
});

describe('the check’s limits apply to the sign-in', () => {
  test('SMS per mobile: past the cap, 429 with retry_after (and the check’s texts count too)', async () => {
    const own = await startTestServer({ env: { KYCVS_SMS_PER_MOBILE_HOUR: '3' } });
    try {
      await tokenFor(own, DEMO.arjun, RAILWAY_WIDGET); // one text by the check
      for (let i = 0; i < 2; i++) assert.equal((await sendCode(own, DEMO.arjun.mobile)).res.status, 202);
      for (let i = 0; i < 3; i++) {
        const refused = (await sendCode(own, DEMO.arjun.mobile)).res;
        assertApiError(refused, 'rate_limited');
        assert.ok(refused.body.retry_after > 0);
        assert.equal(refused.headers.get('retry-after'), String(refused.body.retry_after));
      }
      // An unregistered mobile is counted the same way: the limit tells nothing either.
      for (let i = 0; i < 3; i++) assert.equal((await sendCode(own, DEMO.unregistered.mobile)).res.status, 202);
      assertApiError((await sendCode(own, DEMO.unregistered.mobile)).res, 'rate_limited');
    } finally {
      await own.close();
    }
  });

  test('SMS per address: past the cap, 429', async () => {
    const own = await startTestServer({ env: { KYCVS_SMS_PER_IP_HOUR: '2' } });
    try {
      assert.equal((await sendCode(own, DEMO.asha.mobile)).res.status, 202);
      assert.equal((await sendCode(own, DEMO.arjun.mobile)).res.status, 202);
      assertApiError((await sendCode(own, DEMO.unregistered.mobile)).res, 'rate_limited');
    } finally {
      await own.close();
    }
  });

  test('a resend waits the resend delay, names its own mobile, and the sends per sign-in are capped', async () => {
    const own = await startTestServer({ env: { KYCVS_RESEND_AFTER: '1', KYCVS_MAX_SENDS_PER_SESSION: '2' } });
    try {
      const first = await sendCode(own, DEMO.arjun.mobile);
      const id = first.res.body.sign_in_id as string;
      assert.equal(first.res.body.sends_left, 1);
      const tooSoon = (await sendCode(own, DEMO.arjun.mobile, id)).res;
      assertApiError(tooSoon, 'resend_too_soon');
      assert.equal(tooSoon.body.retry_after, 1);
      assertApiError((await sendCode(own, DEMO.asha.mobile, id)).res, 'session_not_found', 'another mobile on this sign-in');
      await new Promise((resolve) => setTimeout(resolve, 1100)); // the 1 s resend delay
      const resent = await sendCode(own, DEMO.arjun.mobile, id);
      assert.equal(resent.res.status, 202, resent.res.text);
      assert.equal(resent.res.body.sign_in_id, id);
      assert.equal(resent.res.body.sends_left, 0);
      // Only the newest code signs in.
      const old = await own.api('POST', '/v1/me/otp/verify', { json: { sign_in_id: id, otp: first.code } });
      if (first.code !== resent.code) assertApiError(old, 'otp_invalid');
      await new Promise((resolve) => setTimeout(resolve, 1100));
      assertApiError((await sendCode(own, DEMO.arjun.mobile, id)).res, 'send_limit_reached');
      const ok = await own.api('POST', '/v1/me/otp/verify', { json: { sign_in_id: id, otp: resent.code } });
      assert.equal(ok.status, 200, ok.text);
    } finally {
      await own.close();
    }
  });

  test('wrong codes lock the sign-in, and count against the mobile with the check’s', async () => {
    const own = await startTestServer({ env: { KYCVS_MAX_WRONG_OTP_PER_MOBILE_DAY: '7' } });
    try {
      const { res, code } = await sendCode(own, DEMO.asha.mobile);
      const verify = (otp: string) => own.api('POST', '/v1/me/otp/verify', { json: { sign_in_id: res.body.sign_in_id, otp } });
      for (let left = 4; left > 0; left--) {
        const wrong = await verify(wrongOtp(code!));
        assertApiError(wrong, 'otp_invalid');
        assert.equal(wrong.body.attempts_left, left);
      }
      const locked = await verify(wrongOtp(code!));
      assertApiError(locked, 'otp_locked');
      assert.ok(locked.body.retry_after > 0);
      assertApiError(await verify(code!), 'otp_locked', 'even the right code, once locked');

      // A sixth wrong code in a check, a seventh in a new sign-in: the mobile's day cap (7), shared.
      const sessionId = await createSession(own, RAILWAY_WIDGET);
      const checkCode = await requestOtp(own, sessionId, DEMO.ravi);
      assertApiError(await verifyOtp(own, sessionId, wrongOtp(checkCode)), 'otp_invalid');
      const second = await sendCode(own, DEMO.asha.mobile);
      const verify2 = (otp: string) => own.api('POST', '/v1/me/otp/verify', { json: { sign_in_id: second.res.body.sign_in_id, otp } });
      assertApiError(await verify2(wrongOtp(second.code!)), 'otp_locked', 'the mobile’s day cap');
      assertApiError((await sendCode(own, DEMO.asha.mobile)).res, 'otp_locked', 'no new code for a locked mobile');
      assertApiError(
        await own.api('POST', '/v1/sessions', { json: { client_id: DEMO.railway.id, origin: DEMO.origin } }).then(async (created) =>
          own.api('POST', `/v1/sessions/${created.body.session_id}/otp`, { json: { mobile: DEMO.asha.mobile, name: DEMO.asha.name }, headers: { origin: DEMO.origin } }),
        ),
        'otp_locked',
        'nor in the check',
      );
    } finally {
      await own.close();
    }
  });

  test('bad input: a clear 400 naming the field, never its value', async () => {
    const bad = await server.api('POST', '/v1/me/otp', { json: { mobile: '12345' } });
    assertApiError(bad, 'invalid_request');
    assert.deepEqual(bad.body.fields, ['mobile']);
    assertApiError(await server.api('POST', '/v1/me/otp/verify', { json: { sign_in_id: 'x', otp: 'abc' } }), 'invalid_request');
    assertApiError(await server.api('POST', '/v1/me/otp/verify', { json: { sign_in_id: 'msi_nothing', otp: '123456' } }), 'session_not_found');
    assertApiError(await server.api('POST', '/v1/me/otp', { json: { mobile: DEMO.asha.mobile, sign_in_id: 'msi_nothing' } }), 'session_not_found');
  });
});
