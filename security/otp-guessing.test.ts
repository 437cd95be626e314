// Attack: guessing a citizen's OTP. The attacker knows the victim's mobile and name, opens
// verifications in their name (any client, widget or API key, any way of writing the number) and
// guesses codes. Defences: 5 wrong codes lock a session; 15 wrong codes for one mobile in a day
// lock that mobile in every session, new ones included — even the right code is then refused.
// Run against the shipped defaults (no limit overridden), over HTTP, on a real SQLite file.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_LIMITS } from '../server/quotas/limits.ts';
import {
  type ApiResponse,
  type As,
  DEMO,
  HOTEL,
  OTP_IN_TEXT,
  RAILWAY,
  RAILWAY_WIDGET,
  type TestServer,
  assertApiError,
  createSession,
  outbox,
  requestOtp,
  startTestServer,
  verifyOtp,
  wrongOtp,
} from '../test-support/harness.ts';

const SHIPPED_DEFAULTS = {
  KYCVS_SMS_PER_MOBILE_HOUR: undefined,
  KYCVS_SMS_PER_IP_HOUR: undefined,
  KYCVS_SESSIONS_PER_IP_MINUTE: undefined,
  KYCVS_MAX_WRONG_OTP_PER_MOBILE_DAY: undefined,
};
const HOTEL_WIDGET: As = { widget: { clientId: DEMO.hotel.id, origin: DEMO.origin } };
const PER_SESSION = DEFAULT_LIMITS.maxWrongOtpPerSession;
const PER_MOBILE_DAY = DEFAULT_LIMITS.maxWrongOtpPerMobilePerDay;
const DAY_MS = 86_400_000;

async function withServer(fn: (server: TestServer) => Promise<void>): Promise<void> {
  const server = await startTestServer({ env: SHIPPED_DEFAULTS });
  try {
    await fn(server);
  } finally {
    await server.close();
  }
}

/** An answer to a guess: a success, a wrong code (with tries left), or a lock. Anything else fails. */
function classify(res: ApiResponse): 'ok' | 'invalid' | 'locked' {
  if (res.status === 200) return 'ok';
  if (res.body?.error === 'otp_invalid') {
    assertApiError(res, 'otp_invalid');
    return 'invalid';
  }
  assertApiError(res, 'otp_locked');
  return 'locked';
}

describe('OTP guessing', () => {
  test('per session: of 60 concurrent distinct guesses (the right code among them), at most 5 are checked before the lock', async (t) => {
    await withServer(async (server) => {
      const id = await createSession(server, RAILWAY);
      const otp = await requestOtp(server, id, DEMO.arjun);
      // 59 wrong codes around the right one, which goes in the middle of the volley.
      const guesses = Array.from({ length: 59 }, (_, i) => String((Number(otp) + 1 + i) % 1_000_000).padStart(6, '0'));
      guesses.splice(30, 0, otp);
      const answers = await Promise.all(guesses.map((g) => verifyOtp(server, id, g, RAILWAY)));
      const kinds = answers.map(classify);
      const successes = kinds.filter((k) => k === 'ok').length;
      // What the service counted: the session's wrong tries (each one checked against the code).
      const checked = (await server.services.sessions.get(id))!.failedAttempts + successes;
      t.diagnostic(`figure: one session, ${guesses.length} concurrent guesses → ${checked} checked before the lock, ${successes} succeeded`);
      assert.ok(checked <= PER_SESSION, `${checked} guesses were checked: ${kinds.join(',')}`);
      assert.ok(kinds.filter((k) => k !== 'locked').length <= PER_SESSION - 1 + successes, kinds.join(','));
      assert.ok(successes <= 1);
      if (successes === 0) {
        // Locked: the right code, a resend and a fresh look all stay refused.
        assertApiError(await verifyOtp(server, id, otp, RAILWAY), 'otp_locked', 'the right code after the lock');
        assertApiError(
          await server.api('POST', `/v1/sessions/${id}/otp`, { apiKey: DEMO.railway.apiKey, json: { mobile: DEMO.arjun.mobile, name: DEMO.arjun.name } }),
          'otp_locked',
          'a resend into a locked session',
        );
        assert.equal((await server.api('GET', `/v1/sessions/${id}`, { apiKey: DEMO.railway.apiKey })).body.state, 'locked');
      }
    });
  });

  test(`per mobile: rotating sessions, clients, modes and number formats gets ${PER_MOBILE_DAY} guesses a day, then nothing — not even the right code`, async (t) => {
    await withServer(async (server) => {
      const dayAtStart = Math.floor(Date.now() / DAY_MS);
      // The attacker's ways in: both demo verifiers, widget and API-key mode, the number as people write it.
      const doors: { as: As; mobile: string }[] = [
        { as: RAILWAY_WIDGET, mobile: DEMO.arjun.mobile },
        { as: HOTEL, mobile: '+91 91234 56780' },
        { as: HOTEL_WIDGET, mobile: '091234-56780' },
        { as: RAILWAY, mobile: '(91234) 56780' },
        { as: RAILWAY_WIDGET, mobile: '+919123456780' },
      ];
      // A verification the real citizen started before the attack: its code is fresh and unguessed.
      const citizen = await createSession(server, RAILWAY);
      const citizenOtp = await requestOtp(server, citizen, DEMO.arjun);

      let guesses = 0;
      let sessions = 0;
      const answers: string[] = [];
      let lockedMobile: ApiResponse | null = null;
      for (const door of doors) {
        const id = await createSession(server, door.as);
        const sent = await server.api('POST', `/v1/sessions/${id}/otp`, {
          json: { mobile: door.mobile, name: DEMO.arjun.name },
          ...('apiKey' in door.as ? { apiKey: door.as.apiKey } : {}),
        });
        if (sent.status !== 202) {
          lockedMobile = sent;
          break;
        }
        sessions++;
        const otp = OTP_IN_TEXT.exec((await outbox(server, DEMO.arjun.mobile))[0]!.text)![1]!;
        for (let i = 0; i < PER_SESSION + 1; i++) {
          // Deterministically wrong guesses: a lucky hit (one in a million) must not decide a test.
          const kind = classify(await verifyOtp(server, id, String((Number(otp) + 1 + i) % 1_000_000).padStart(6, '0')));
          answers.push(kind);
          if (kind === 'locked') break;
          guesses++;
        }
        // The guess that got `locked` was itself checked and counted.
        guesses++;
      }
      const spannedDays = Math.floor(Date.now() / DAY_MS) - dayAtStart + 1;
      t.diagnostic(`figure: one mobile, ${sessions} sessions → ${guesses} wrong guesses checked, then locked (answers: ${answers.join(',')})`);
      t.diagnostic(`figure: success probability per mobile per day ≤ ${PER_MOBILE_DAY} / 10^6 = ${(PER_MOBILE_DAY / 1e6).toExponential(1)}`);
      assert.ok(lockedMobile, 'a new session for the mobile was refused before the attacker ran out of doors');
      assertApiError(lockedMobile, 'otp_locked', 'a new session for the locked mobile');
      const retryAfter = Number(lockedMobile.headers.get('retry-after'));
      // A rolling day counted in 20 sub-windows: the lock frees within a day and one sub-window (72 min).
      assert.ok(retryAfter >= 1 && retryAfter <= 86_400 * 1.05, `Retry-After ${retryAfter}`);
      assert.equal(lockedMobile.body.retry_after, retryAfter);
      assert.ok(guesses <= PER_MOBILE_DAY * spannedDays, `${guesses} guesses`);
      if (spannedDays === 1) assert.equal(guesses, PER_MOBILE_DAY);
      assert.equal(sessions, Math.ceil(PER_MOBILE_DAY / PER_SESSION), 'each session allowed its 5 tries until the mobile cap');

      // The citizen's own open session: the right code is refused too while the mobile is locked.
      assertApiError(await verifyOtp(server, citizen, citizenOtp, RAILWAY, true), 'otp_locked', 'the right code in an open session');
      // Other mobiles are not affected.
      const other = await createSession(server, HOTEL);
      const asha = await requestOtp(server, other, DEMO.asha);
      assert.equal((await verifyOtp(server, other, asha, HOTEL, true)).status, 200);
    });
  });

  test('an unregistered mobile is locked after the same number of guesses, with the same answers', async () => {
    const run = async (mobile: string, name: string): Promise<string[]> => {
      const seen: string[] = [];
      await withServer(async (server) => {
        for (let s = 0; s < 4; s++) {
          const id = await createSession(server, RAILWAY);
          const sent = await server.api('POST', `/v1/sessions/${id}/otp`, { apiKey: DEMO.railway.apiKey, json: { mobile, name } });
          if (sent.status !== 202) {
            assertApiError(sent, 'otp_locked');
            seen.push('send:locked');
            break;
          }
          for (let i = 0; i < PER_SESSION; i++) {
            // Nobody receives an unregistered mobile's code; any fixed guess is wrong but once in a million.
            const kind = classify(await verifyOtp(server, id, String(100_000 + 7 * i + s), RAILWAY));
            seen.push(kind);
            if (kind === 'locked') break;
          }
        }
      });
      return seen;
    };
    const registered = await run(DEMO.arjun.mobile, DEMO.arjun.name);
    const unregistered = await run(DEMO.unregistered.mobile, DEMO.unregistered.name);
    assert.deepEqual(unregistered, registered);
    assert.equal(registered.at(-1), 'send:locked');
  });

  test(`per mobile, concurrently: 20 guesses fired at once over 4 open sessions → at most ${PER_MOBILE_DAY} checked`, async (t) => {
    await withServer(async (server) => {
      const ids: [string, string][] = [];
      for (let i = 0; i < 4; i++) {
        const id = await createSession(server, i % 2 ? HOTEL : RAILWAY);
        ids.push([id, await requestOtp(server, id, DEMO.arjun)]);
      }
      const volley = ids.flatMap(([id, otp], s) =>
        Array.from({ length: PER_SESSION }, (_, i) => verifyOtp(server, id, wrongOtp(String((Number(otp) + i) % 1_000_000).padStart(6, '0')), s % 2 ? HOTEL : RAILWAY)),
      );
      const kinds = (await Promise.all(volley)).map(classify);
      const invalid = kinds.filter((k) => k === 'invalid').length;
      const mobileKey = server.services.registry.mobileHash(DEMO.arjun.mobile).toString('base64url');
      const counted = (await server.services.counters.peek(`otpfail:mobile:${mobileKey}`, PER_MOBILE_DAY, 86_400)).count;
      t.diagnostic(`figure: one mobile, 4 sessions, ${volley.length} concurrent guesses → ${counted} checked (${invalid} answered otp_invalid, the rest otp_locked)`);
      assert.equal(kinds.filter((k) => k === 'ok').length, 0);
      assert.ok(counted <= PER_MOBILE_DAY, `${counted} checked: ${kinds.join(',')}`);
      assert.ok(invalid <= PER_MOBILE_DAY - 1, kinds.join(','));
      const fresh = await createSession(server, RAILWAY);
      assertApiError(
        await server.api('POST', `/v1/sessions/${fresh}/otp`, { json: { mobile: DEMO.arjun.mobile, name: DEMO.arjun.name } }),
        'otp_locked',
      );
    });
  });
});
