// Attack: bending the rate limits. With fixed windows, a bot that times its requests around a
// window's edge gets twice the cap (12 texts to one mobile in 22 s across an hour boundary, cap
// 6/h), and the per-mobile wrong-code lock ends at UTC midnight (15 guesses at 23:59, 15 more at
// 00:01). An IPv6 caller that was counted per /128 had 2^64 addresses from one /64. Defences:
// sliding windows (server/quotas/rate-counter.ts), per-address keys by /64 as keyed hashes
// (server/quotas/address-key.ts). Over HTTP, on a real SQLite file, the clock set with
// node:test's mock timers (Date only: timers, sockets and SQLite run on real time).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, mock, test } from 'node:test';
import { DEFAULT_LIMITS } from '../server/quotas/limits.ts';
import { DATABASE_FILE } from '../server/services.ts';
import {
  DEMO,
  RAILWAY,
  type TestServer,
  assertApiError,
  createSession,
  outbox,
  requestOtp,
  startTestServer,
  verifyOtp,
  wrongOtp,
} from '../test-support/harness.ts';
import { connectTestRedis } from '../test-support/redis.ts';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
/** A month ahead of the real clock, so nothing the server made at start is "from the future". */
const ahead = Date.now() + 30 * DAY_MS;
const nextHour = Math.ceil(ahead / HOUR_MS) * HOUR_MS;
const nextUtcMidnight = Math.ceil(ahead / DAY_MS) * DAY_MS;

// The window attacks run against both homes of the counters: the SQLite file and Redis
// (KYCVS_REDIS_URL), each server under its own key prefix inside this run's.
const redis = await connectTestRedis();
let servers = 0;
const COUNTER_STORES = [
  { name: 'counters in SQLite', env: (): Record<string, string> => ({}) },
  { name: 'counters in Redis', env: (): Record<string, string> => ({ KYCVS_REDIS_URL: redis.url, KYCVS_REDIS_PREFIX: `${redis.prefix}${++servers}:` }) },
];

/** Runs `fn` against a fresh server with the wall clock (Date) under the test's control. */
async function withClock(env: Record<string, string>, start: number, fn: (server: TestServer, setTime: (ms: number) => void) => Promise<void>) {
  const server = await startTestServer({ env });
  mock.timers.enable({ apis: ['Date'], now: start });
  try {
    await fn(server, (ms) => mock.timers.setTime(ms));
    if (env.KYCVS_REDIS_URL) {
      // The Redis run really counted in Redis, not in the SQLite file beside it.
      assert.equal(server.services.db!.prepare('SELECT count(*) AS n FROM rate_counters').pluck().get(), 0, 'no counter in SQLite');
      assert.ok((await redis.redis.keys(`${env.KYCVS_REDIS_PREFIX}*`)).length > 0, 'the counters are in Redis');
    }
  } finally {
    mock.timers.reset();
    await server.close();
  }
}

const askForCode = async (server: TestServer, person: { mobile: string; name: string }) => {
  const created = await server.api('POST', '/v1/sessions', { apiKey: DEMO.railway.apiKey, json: {} });
  assert.equal(created.status, 201, created.text);
  return server.api('POST', `/v1/sessions/${created.body.session_id}/otp`, { apiKey: DEMO.railway.apiKey, json: { mobile: person.mobile, name: person.name } });
};

describe('rate limits an attacker can bend', () => {
  for (const store of COUNTER_STORES) {
    test(`${store.name}: 12 code requests for one mobile in 22 s across an hour boundary send 6 texts (cap 6/h), and retry_after is honoured`, async () => {
      const cap = DEFAULT_LIMITS.smsPerMobilePerHour;
      await withClock({ ...store.env(), KYCVS_SMS_PER_MOBILE_HOUR: String(cap) }, nextHour - 11_000, async (server, setTime) => {
        const statuses: number[] = [];
        let retryAfter = 0;
        let lastTry = 0;
        // xx:59:49, :51, … :59, then xx:00:01 … :11 — 6 before the boundary, 6 after.
        for (let i = 0; i < 2 * cap; i++) {
          lastTry = nextHour - 11_000 + i * 2000;
          setTime(lastTry);
          const res = await askForCode(server, DEMO.arjun);
          statuses.push(res.status);
          if (res.status === 429) {
            assertApiError(res, 'rate_limited');
            retryAfter = res.body.retry_after;
            assert.equal(Number(res.headers.get('retry-after')), retryAfter);
          } else assert.equal(res.status, 202, res.text);
        }
        assert.deepEqual(statuses, [...Array<number>(cap).fill(202), ...Array<number>(cap).fill(429)], 'a fixed window sent 12');
        // The earliest retry it names gets a code; a second earlier does not.
        setTime(lastTry + (retryAfter - 1) * 1000);
        assertApiError(await askForCode(server, DEMO.arjun), 'rate_limited', 'a second before retry_after');
        setTime(lastTry + retryAfter * 1000);
        assert.equal((await askForCode(server, DEMO.arjun)).status, 202, 'at retry_after');
        assert.ok(retryAfter * 1000 <= HOUR_MS + HOUR_MS / 20, `retry_after ${retryAfter} s: at most an hour and one sub-window`);
        mock.timers.reset();
        assert.equal((await outbox(server, DEMO.arjun.mobile)).length, cap + 1);
      });
    });

    test(`${store.name}: the wrong-code day is rolling: 15 wrong codes at 23:59 UTC still lock the mobile at 00:01, and for 24 hours`, async () => {
      const perDay = DEFAULT_LIMITS.maxWrongOtpPerMobilePerDay;
      const perSession = DEFAULT_LIMITS.maxWrongOtpPerSession;
      const start = nextUtcMidnight - 60_000;
      await withClock({ ...store.env(), KYCVS_MAX_WRONG_OTP_PER_MOBILE_DAY: String(perDay) }, start, async (server, setTime) => {
        let now = start;
        const tick = () => setTime((now += 500));
        let wrong = 0;
        while (wrong < perDay) {
          const id = await createSession(server, RAILWAY);
          tick();
          const otp = await requestOtp(server, id, DEMO.arjun, RAILWAY);
          for (let i = 0; i < perSession && wrong < perDay; i++, wrong++) {
            tick();
            const res = await verifyOtp(server, id, wrongOtp(otp), RAILWAY);
            assert.ok(res.status === 400 || res.status === 429, res.text);
          }
        }
        assert.ok(now < nextUtcMidnight, '15 wrong codes before midnight');

        const locked = async (when: number, context: string) => {
          setTime(when);
          const res = await askForCode(server, DEMO.arjun);
          assertApiError(res, 'otp_locked', context);
          return res.body.retry_after as number;
        };
        await locked(nextUtcMidnight + 60_000, '00:01, the next UTC day');
        const retryAfter = await locked(start + DAY_MS - 60_000, '23 h 58 min after the first wrong code');
        // Unlocked once the day (and the 72-minute sub-window holding those codes) has passed.
        const freeAt = start + DAY_MS - 60_000 + retryAfter * 1000;
        assert.ok(freeAt > start + DAY_MS && freeAt <= now + DAY_MS + DAY_MS / 20 + 1000, new Date(freeAt).toISOString());
        setTime(freeAt);
        assert.equal((await askForCode(server, DEMO.arjun)).status, 202, 'free again after the rolling day');
      });
    });

  }

  test('an IPv6 /64 is one address for the per-address quotas, however it is spelled; the counters hold no address', async () => {
    const cap = 3;
    const server = await startTestServer({ env: { KYCVS_SESSIONS_PER_IP_MINUTE: String(cap), KYCVS_TRUST_PROXY: '1' } });
    try {
      const create = (ip: string) => server.api('POST', '/v1/sessions', { apiKey: DEMO.railway.apiKey, json: {}, headers: { 'x-forwarded-for': ip } });
      const oneSixtyFour = ['2001:db8:7:8::1', '2001:0db8:0007:0008:ffff:ffff:ffff:fffe', '2001:DB8:7:8:1:2:3:4', '2001:db8:7:8::abcd', '2001:db8:7:8::2'];
      const answers = [];
      for (const ip of oneSixtyFour) answers.push((await create(ip)).status);
      assert.deepEqual(answers, [201, 201, 201, 429, 429], 'one /64, five spellings and hosts');
      assert.equal((await create('2001:db8:7:9::1')).status, 201, 'the next /64 is another address');
      const v4 = [];
      for (const ip of ['198.51.100.7', '::ffff:198.51.100.7', '198.51.100.7', '::ffff:c633:6407']) v4.push((await create(ip)).status);
      assert.deepEqual(v4, [201, 201, 201, 429], 'IPv4 and IPv4-mapped are one address');
      assert.equal((await create('198.51.100.8')).status, 201);

      const keys = server.services.db!.prepare<[], { key: string }>('SELECT key FROM rate_counters').all().map((r) => r.key);
      assert.ok(keys.some((k) => k.startsWith('sessions:ip:')));
      const plaintext = ['2001:db8', '2001:0db8', '198.51.100', 'ffff:', 'c633'];
      for (const key of keys) for (const text of plaintext) assert.ok(!key.toLowerCase().includes(text), key);
      server.services.db!.pragma('wal_checkpoint(PASSIVE)');
      for (const file of fs.readdirSync(server.dataDir).filter((f) => f.startsWith(DATABASE_FILE))) {
        const bytes = fs.readFileSync(path.join(server.dataDir, file)).toString('latin1').toLowerCase();
        for (const text of ['2001:db8:7', '198.51.100.']) assert.ok(!bytes.includes(text), `${file} holds ${text}`);
      }
    } finally {
      await server.close();
    }
  });
});
