// The OTP step over real HTTP: same answer for registered and unregistered mobiles, resend
// throttling, the send cap, locking after wrong codes, and the per-mobile quotas.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import {
  DEMO,
  type Person,
  RAILWAY,
  RAILWAY_WIDGET,
  type TestServer,
  assertApiError,
  createSession,
  outbox,
  requestOtp,
  startTestServer,
  verifyOtp,
  waitFor,
  wrongOtp,
} from '../../test-support/harness.ts';

// Resend after 2 s: short enough to wait for, long enough that a loaded machine cannot slip past it unseen.
const server = await startTestServer({ env: { KYCVS_RESEND_AFTER: '2' } });
after(() => server.close());

const sendOtp = (s: TestServer, id: string, person: Person) =>
  s.api('POST', `/v1/sessions/${id}/otp`, { json: { mobile: person.mobile, name: person.name } });
const state = async (s: TestServer, id: string) =>
  (await s.api('GET', `/v1/sessions/${id}`, { apiKey: DEMO.railway.apiKey })).body.state;

describe('OTP request answers alike whether or not the mobile is registered', () => {
  test('same status, headers of note and body for a registered person, a registered mobile with another name, and an unregistered mobile', async () => {
    const people = [DEMO.asha, { mobile: DEMO.asha.mobile, name: 'Somebody Else' }, DEMO.unregistered];
    const answers = [];
    for (const person of people) {
      const id = await createSession(server, RAILWAY_WIDGET);
      answers.push(await sendOtp(server, id, person));
    }
    const shapes = answers.map((a) => ({
      status: a.status,
      body: a.body,
      type: a.headers.get('content-type'),
      retryAfter: a.headers.get('retry-after'),
    }));
    assert.equal(shapes[0]!.status, 202);
    assert.deepEqual(shapes[1], shapes[0]);
    assert.deepEqual(shapes[2], shapes[0]);
  });

  test('no SMS goes to an unregistered mobile', async () => {
    const id = await createSession(server, RAILWAY_WIDGET);
    assert.equal((await sendOtp(server, id, DEMO.unregistered)).status, 202);
    assert.deepEqual(await outbox(server, DEMO.unregistered.mobile), []);
  });

  test('a registered mobile with a name that is not on it still gets the code, and verifies with the name not matched', async () => {
    const id = await createSession(server, RAILWAY_WIDGET);
    const otp = await requestOtp(server, id, { mobile: DEMO.asha.mobile, name: 'Priya Sharma' });
    const verified = await verifyOtp(server, id, otp);
    assert.equal(verified.status, 200, verified.text);
    assert.equal(verified.body.name_matched, false);
    assert.equal('vaccination_status' in verified.body, false);
  });
});

describe('resend', () => {
  test('too soon → 429 resend_too_soon with retry_after; once allowed, the new code replaces the old one', async () => {
    const id = await createSession(server, RAILWAY_WIDGET);
    const first = await requestOtp(server, id, DEMO.asha);
    const tooSoon = await sendOtp(server, id, DEMO.asha);
    assertApiError(tooSoon, 'resend_too_soon');
    assert.ok(tooSoon.body.retry_after >= 1 && tooSoon.body.retry_after <= 2, `retry_after ${tooSoon.body.retry_after}`);
    assert.equal(tooSoon.headers.get('retry-after'), String(tooSoon.body.retry_after));

    // The resend becomes possible by itself once resend_after has passed (polled, bounded).
    const resent = await waitFor(async () => {
      const r = await sendOtp(server, id, DEMO.asha);
      if (r.status === 429) assertApiError(r, 'resend_too_soon');
      return r.status === 202 && r;
    }, { what: 'the resend to be accepted' });
    assert.equal(resent.body.sends_left, 1);
    const messages = await outbox(server, DEMO.asha.mobile);
    const second = /^(\d{6})/.exec(messages[0]!.text)![1]!;
    if (second !== first) assertApiError(await verifyOtp(server, id, first), 'otp_invalid', 'the replaced code');
    assert.equal((await verifyOtp(server, id, second)).status, 200);
  });

  test('at most 3 sends per session: sends_left counts down, the 4th → 429 send_limit_reached', async () => {
    const id = await createSession(server, RAILWAY_WIDGET);
    const left: number[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await waitFor(async () => {
        const res = await sendOtp(server, id, DEMO.unregistered);
        return res.status === 202 ? res : (assertApiError(res, 'resend_too_soon'), false);
      }, { what: `send ${i + 1}` });
      left.push(r.body.sends_left);
    }
    assert.deepEqual(left, [2, 1, 0]);
    assertApiError(await sendOtp(server, id, DEMO.unregistered), 'send_limit_reached');
  });
});

describe('wrong codes', () => {
  test('attempts_left counts down; the 5th wrong code locks the session (429 otp_locked), even for the right code after', async () => {
    const id = await createSession(server, RAILWAY_WIDGET);
    const otp = await requestOtp(server, id, DEMO.ravi);
    const bad = wrongOtp(otp);
    const left: number[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await verifyOtp(server, id, bad);
      assertApiError(r, 'otp_invalid');
      left.push(r.body.attempts_left);
    }
    assert.deepEqual(left, [4, 3, 2, 1]);
    assertApiError(await verifyOtp(server, id, bad), 'otp_locked', '5th wrong code');
    assertApiError(await verifyOtp(server, id, otp), 'otp_locked', 'right code after the lock');
    assertApiError(await sendOtp(server, id, DEMO.ravi), 'otp_locked', 'a new code after the lock');
    assert.equal(await state(server, id), 'locked');
    assert.equal((await server.services.audit.forSession(id)).length, 0);
  });

  test('a wrong code then the right one verifies', async () => {
    const id = await createSession(server, RAILWAY_WIDGET);
    const otp = await requestOtp(server, id, DEMO.ravi);
    assertApiError(await verifyOtp(server, id, wrongOtp(otp)), 'otp_invalid');
    const ok = await verifyOtp(server, id, otp);
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.body.name_matched, true);
  });

  test('one session’s code does not open another session of the same person', async () => {
    const a = await createSession(server, RAILWAY_WIDGET);
    const otpA = await requestOtp(server, a, DEMO.meera);
    const b = await createSession(server, RAILWAY_WIDGET);
    const otpB = await requestOtp(server, b, DEMO.meera);
    if (otpA !== otpB) assertApiError(await verifyOtp(server, b, otpA), 'otp_invalid');
  });
});

describe('per-mobile quotas', () => {
  test('hourly SMS cap per mobile → 429 rate_limited, for registered and unregistered mobiles alike; other mobiles unaffected', async () => {
    const capped = await startTestServer({ env: { KYCVS_SMS_PER_MOBILE_HOUR: '2' } });
    try {
      const statuses = async (person: Person) => {
        const seen = [];
        // 2×cap+1 tries: the cap is met, whatever else counted against this mobile before.
        for (let i = 0; i < 5; i++) {
          const r = await sendOtp(capped, await createSession(capped, RAILWAY_WIDGET), person);
          if (r.status !== 202) assertApiError(r, 'rate_limited');
          if (r.status === 429) assert.ok(Number(r.headers.get('retry-after')) >= 1);
          seen.push(r.status);
        }
        return seen;
      };
      const registered = await statuses(DEMO.arjun);
      const unregistered = await statuses(DEMO.unregistered);
      assert.ok(registered.includes(429), registered.join());
      assert.deepEqual(unregistered, registered, 'the cap does not tell registered from unregistered');
      assert.equal((await sendOtp(capped, await createSession(capped, RAILWAY_WIDGET), DEMO.asha)).status, 202);
    } finally {
      await capped.close();
    }
  });

  test('wrong codes across sessions lock the mobile for the day (429 otp_locked in a new session)', async () => {
    const strict = await startTestServer({ env: { KYCVS_MAX_WRONG_OTP_PER_MOBILE_DAY: '3' } });
    try {
      const a = await createSession(strict, RAILWAY_WIDGET);
      const otp = await requestOtp(strict, a, DEMO.arjun);
      assertApiError(await verifyOtp(strict, a, wrongOtp(otp)), 'otp_invalid');
      assertApiError(await verifyOtp(strict, a, wrongOtp(otp)), 'otp_invalid');
      assertApiError(await verifyOtp(strict, a, wrongOtp(otp)), 'otp_locked', 'the 3rd wrong code for this mobile today');
      const b = await createSession(strict, RAILWAY_WIDGET);
      const refused = await sendOtp(strict, b, DEMO.arjun);
      assertApiError(refused, 'otp_locked', 'a fresh session for the locked mobile');
      assert.ok(refused.body.retry_after > 0);
      assert.equal((await outbox(strict, DEMO.arjun.mobile)).length, 1, 'no new SMS');
      const other = await createSession(strict, RAILWAY);
      assert.equal((await sendOtp(strict, other, DEMO.asha)).status, 202, 'another mobile is not locked');
    } finally {
      await strict.close();
    }
  });
});
