// Abuse quotas over real HTTP, each tuned low by its environment knob: sessions per IP, SMS per
// IP, per client and globally. X-Forwarded-For counts only when a proxy is trusted.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  DEMO,
  type ApiResponse,
  RAILWAY,
  type TestServer,
  assertApiError,
  createSession,
  startTestServer,
} from '../../test-support/harness.ts';

const CAP = 2;
/** Sliding windows have no edge to roll over mid-loop: exactly CAP of these get through. */
const TRIES = 2 * CAP + 1;

let mobileSeq = 0;
/** A different (unregistered) mobile each time, so only the quota under test can refuse. */
const nextMobile = () => `80000${String(mobileSeq++).padStart(5, '0')}`;

const newSession = (s: TestServer, ip?: string) =>
  s.api('POST', '/v1/sessions', { apiKey: DEMO.railway.apiKey, json: {}, headers: ip ? { 'x-forwarded-for': ip } : {} });
const sendToNewMobile = async (s: TestServer) =>
  s.api('POST', `/v1/sessions/${await createSession(s, RAILWAY)}/otp`, { json: { mobile: nextMobile(), name: 'Some Body' } });

async function statuses(s: TestServer, action: (s: TestServer, i: number) => Promise<ApiResponse>): Promise<number[]> {
  const seen: number[] = [];
  for (let i = 0; i < TRIES; i++) {
    const res = await action(s, i);
    if (res.status === 429) {
      assertApiError(res, 'rate_limited');
      assert.ok(Number(res.headers.get('retry-after')) >= 1);
    } else assert.ok(res.status === 201 || res.status === 202, res.text);
    seen.push(res.status);
  }
  return seen;
}

const quotas: [what: string, knob: string, action: (s: TestServer, i: number) => Promise<ApiResponse>][] = [
  ['sessions per IP per minute (a forged X-Forwarded-For does not dodge it)', 'KYCVS_SESSIONS_PER_IP_MINUTE', (s, i) => newSession(s, `203.0.113.${i}`)],
  ['SMS per IP per hour', 'KYCVS_SMS_PER_IP_HOUR', sendToNewMobile],
  ['SMS per client per hour', 'KYCVS_SMS_PER_CLIENT_HOUR', sendToNewMobile],
  ['SMS per minute, service-wide', 'KYCVS_SMS_GLOBAL_MINUTE', sendToNewMobile],
];

describe('quotas', () => {
  for (const [what, knob, action] of quotas) {
    test(`${what}: ${knob}=${CAP} → 429 rate_limited`, async () => {
      const server = await startTestServer({ env: { [knob]: String(CAP) } });
      try {
        const seen = await statuses(server, action);
        assert.equal(seen.filter((s) => s !== 429).length, CAP, seen.join(' '));
        assert.ok(seen.slice(CAP).every((s) => s === 429), seen.join(' '));
      } finally {
        await server.close();
      }
    });
  }

  test('a server-to-server create refused by an SMS quota leaves no session and uses up no session quota', async () => {
    const server = await startTestServer({ env: { KYCVS_SMS_PER_CLIENT_HOUR: '1', KYCVS_SESSIONS_PER_IP_MINUTE: '2' } });
    const withPerson = () =>
      server.api('POST', '/v1/sessions', { apiKey: DEMO.railway.apiKey, json: { mobile: nextMobile(), name: 'Some Body' } });
    const sessionRows = () => (server.services.db!.prepare('SELECT count(*) AS n FROM sessions').get() as { n: number }).n;
    try {
      assert.equal((await withPerson()).status, 201);
      for (let i = 0; i < 3; i++) assertApiError(await withPerson(), 'rate_limited');
      assert.equal(sessionRows(), 1, 'the refused creates wrote nothing');
      // The per-IP session quota (2/min) counted only the create that went through.
      assert.equal((await newSession(server)).status, 201);
      assert.equal(sessionRows(), 2);
    } finally {
      await server.close();
    }
  });

  test('behind a trusted proxy (KYCVS_TRUST_PROXY=1), each client IP has its own session quota', async () => {
    const server = await startTestServer({ env: { KYCVS_SESSIONS_PER_IP_MINUTE: String(CAP), KYCVS_TRUST_PROXY: '1' } });
    try {
      assert.ok(!(await statuses(server, (s, i) => newSession(s, `198.51.100.${i}`))).includes(429), 'distinct client IPs');
      const oneIp = await statuses(server, (s) => newSession(s, '198.51.100.200'));
      assert.equal(oneIp.filter((s) => s !== 429).length, CAP, `one client IP: ${oneIp.join(' ')}`);
    } finally {
      await server.close();
    }
  });
});
