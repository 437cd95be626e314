// Attack: SMS pumping (toll fraud). A bot drives the public widget endpoints — which need no
// secret, only a client id and an allowlisted origin it can copy from any host page — to make the
// service send as many texts as possible, from as many IP addresses as it can borrow. Defences:
// SMS only ever go to mobiles in the registry, and sends are capped per session, per mobile, per
// IP, per client and service-wide, each answering 429 rate_limited with Retry-After. Every text
// the service actually sends is counted at a fake SMS gateway on 127.0.0.1.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { DEFAULT_LIMITS } from '../server/quotas/limits.ts';
import { FakeSmsGateway } from '../test-support/fake-sms-gateway.ts';
import {
  type ApiResponse,
  DEMO,
  type TestServer,
  assertApiError,
  startTestServer,
  waitFor,
} from '../test-support/harness.ts';

const gateway = new FakeSmsGateway();
const gatewayUrl = await gateway.start();
after(() => gateway.close());

/** Demo clients and people, texts to the fake gateway (not the demo outbox). */
async function pumpTarget(env: Record<string, string | undefined>): Promise<TestServer> {
  return startTestServer({ env: { KYCVS_SMS_GATEWAY_URL: gatewayUrl, KYCVS_SMS_GATEWAY_TOKEN: 'gw', ...env } });
}

let mobileBase = 0;
/** Registers `n` people, each on a mobile of their own; returns their mobiles. */
async function registerPeople(server: TestServer, n: number): Promise<string[]> {
  const rows = Array.from({ length: n }, (_, i) => {
    const k = mobileBase + i;
    return { id: `P-${k}`, mobile: `7${String(k).padStart(9, '0')}`, name: `Pumped Person`, vaccine: 'COVISHIELD', doses: 2, lastDoseDate: '2022-01-01' };
  });
  mobileBase += n;
  const outcomes = await server.services.registry.upsertBatch(rows);
  assert.ok(outcomes.every((o) => o.ok));
  return rows.map((r) => r.mobile);
}

interface Pump {
  mobile: string;
  ip?: string;
  /** Widget mode (the public door) unless an API key is given. */
  apiKey?: string;
  clientId?: string;
}

/** One pumping attempt: a new verification and a request for its code. Returns the OTP answer. */
async function pump(server: TestServer, p: Pump): Promise<ApiResponse> {
  const headers: Record<string, string> = p.ip ? { 'x-forwarded-for': p.ip } : {};
  const created = await server.api('POST', '/v1/sessions', {
    headers,
    ...(p.apiKey ? { apiKey: p.apiKey, json: {} } : { json: { client_id: p.clientId ?? DEMO.railway.id, origin: DEMO.origin } }),
  });
  if (created.status !== 201) return created;
  return server.api('POST', `/v1/sessions/${created.body.session_id}/otp`, {
    headers,
    json: { mobile: p.mobile, name: 'Pumped Person' },
    ...(p.apiKey ? { apiKey: p.apiKey } : {}),
  });
}

/** Each answer is a 202 or a well-formed 429 rate_limited with a Retry-After; returns how many were accepted. */
function accepted(answers: ApiResponse[]): number {
  let ok = 0;
  for (const res of answers) {
    if (res.status === 202) ok++;
    else {
      assertApiError(res, 'rate_limited');
      const retryAfter = Number(res.headers.get('retry-after'));
      assert.ok(retryAfter >= 1, `Retry-After ${res.headers.get('retry-after')}`);
      assert.equal(res.body.retry_after, retryAfter);
    }
  }
  return ok;
}

/** How many intervals of `seconds` cover the run: a sliding cap holds in any one of them (1 unless the run was that long). */
function windowsSpanned(startMs: number, endMs: number, seconds: number): number {
  return Math.max(1, Math.ceil((endMs - startMs) / (seconds * 1000)));
}

async function settle(server: TestServer): Promise<void> {
  await server.services.sms.drain();
}

/**
 * Texts the service sent to these mobiles. Delivery is at least once: a gateway that answers after
 * the adapter's timeout (a starved machine) gets the same text again, so a repeat is not a new text.
 */
const sentTo = (mobiles: string[]) => {
  const set = new Set(mobiles.map((m) => `+91${m}`));
  return new Set(gateway.messages.filter((m) => set.has(m.to)).map((m) => `${m.to}\n${m.text}`)).size;
};

describe('SMS pumping', () => {
  test('an unregistered (premium-rate) number never gets a text, however often it is asked for', async (t) => {
    const server = await pumpTarget({});
    try {
      const before = gateway.messages.length;
      const answers = [];
      for (let i = 0; i < 20; i++) answers.push(await pump(server, { mobile: `900000${String(i % 5).padStart(4, '0')}`, ip: `192.0.2.${i}` }));
      assert.equal(accepted(answers), 20, 'answered like any other mobile');
      await settle(server);
      t.diagnostic(`figure: 20 OTP requests to unregistered numbers → ${gateway.messages.length - before} SMS sent`);
      assert.equal(gateway.messages.length, before);
    } finally {
      await server.close();
    }
  });

  test('per IP: behind a trusted proxy each client IP gets KYCVS_SMS_PER_IP_HOUR texts; without one, a forged X-Forwarded-For changes nothing', async (t) => {
    const CAP = 3;
    for (const trustProxy of ['1', undefined]) {
      const server = await pumpTarget({ KYCVS_SMS_PER_IP_HOUR: String(CAP), KYCVS_TRUST_PROXY: trustProxy });
      try {
        const mobiles = await registerPeople(server, 30);
        const started = Date.now();
        const oneIp = [];
        for (const mobile of mobiles.slice(0, 10)) oneIp.push(await pump(server, { mobile, ip: '203.0.113.7' }));
        const otherIps = [];
        for (const [i, mobile] of mobiles.slice(10, 20).entries()) otherIps.push(await pump(server, { mobile, ip: `203.0.113.${100 + i}` }));
        const windows = windowsSpanned(started, Date.now(), 3600);
        await settle(server);
        const fromOne = accepted(oneIp);
        const fromOthers = accepted(otherIps);
        t.diagnostic(`figure: per-IP cap ${CAP}, trust proxy ${trustProxy ?? 'off'}: 10 tries from one IP → ${fromOne} accepted, ${sentTo(mobiles.slice(0, 10))} SMS; 10 tries from 10 other IPs → ${fromOthers} accepted`);
        assert.ok(fromOne >= 1 && fromOne <= CAP * windows, `one IP: ${fromOne}`);
        assert.equal(sentTo(mobiles.slice(0, 10)), fromOne, 'every accepted request to a registered mobile sent exactly one text');
        if (trustProxy) assert.equal(fromOthers, 10, 'other client IPs are not held back by one IP’s cap');
        else assert.ok(fromOthers + fromOne <= CAP * windows, 'without a trusted proxy every forged address is the same peer');
      } finally {
        await server.close();
      }
    }
  });

  test(`per mobile: ${DEFAULT_LIMITS.smsPerMobilePerHour} texts an hour to one mobile, however many IPs, clients, modes and number formats ask`, async (t) => {
    const server = await pumpTarget({ KYCVS_SMS_PER_MOBILE_HOUR: undefined, KYCVS_TRUST_PROXY: '1' });
    try {
      const [victim] = await registerPeople(server, 1);
      const formats = [victim!, `+91 ${victim}`, `0${victim}`, `${victim!.slice(0, 5)}-${victim!.slice(5)}`];
      const started = Date.now();
      const answers = [];
      for (let i = 0; i < 30; i++) {
        const doors: Pump[] = [
          { mobile: formats[i % 4]!, ip: `198.51.100.${i}` },
          { mobile: formats[i % 4]!, ip: `198.51.100.${i}`, clientId: DEMO.hotel.id },
          { mobile: formats[i % 4]!, ip: `198.51.100.${i}`, apiKey: DEMO.railway.apiKey },
        ];
        answers.push(await pump(server, doors[i % 3]!));
      }
      const windows = windowsSpanned(started, Date.now(), 3600);
      await settle(server);
      const ok = accepted(answers);
      const sent = sentTo([victim!]);
      t.diagnostic(`figure: per-mobile cap ${DEFAULT_LIMITS.smsPerMobilePerHour}/h: 30 tries from 30 IPs → ${ok} accepted, ${sent} SMS to the victim`);
      assert.equal(sent, ok);
      assert.ok(sent <= DEFAULT_LIMITS.smsPerMobilePerHour * windows, `${sent} texts`);
      if (windows === 1) assert.equal(sent, DEFAULT_LIMITS.smsPerMobilePerHour);
    } finally {
      await server.close();
    }
  });

  test('per client: KYCVS_SMS_PER_CLIENT_HOUR caps one verifier’s texts; another verifier still sends', async (t) => {
    const CAP = 10;
    const server = await pumpTarget({ KYCVS_SMS_PER_CLIENT_HOUR: String(CAP), KYCVS_TRUST_PROXY: '1' });
    try {
      const mobiles = await registerPeople(server, 31);
      const started = Date.now();
      const answers = [];
      for (const [i, mobile] of mobiles.slice(0, 30).entries()) answers.push(await pump(server, { mobile, ip: `198.51.100.${i}` }));
      const windows = windowsSpanned(started, Date.now(), 3600);
      await settle(server);
      const ok = accepted(answers);
      t.diagnostic(`figure: per-client cap ${CAP}/h: 30 tries from 30 IPs to 30 mobiles → ${ok} accepted, ${sentTo(mobiles.slice(0, 30))} SMS`);
      assert.ok(ok >= 1 && ok <= CAP * windows, `${ok}`);
      assert.equal(sentTo(mobiles.slice(0, 30)), ok);
      assert.equal((await pump(server, { mobile: mobiles[30]!, ip: '198.51.100.250', clientId: DEMO.hotel.id })).status, 202, 'the hotel is not held back');
    } finally {
      await server.close();
    }
  });

  test('service-wide: KYCVS_SMS_GLOBAL_MINUTE caps all texts in a minute, whoever asks', async (t) => {
    const CAP = 8;
    const server = await pumpTarget({ KYCVS_SMS_GLOBAL_MINUTE: String(CAP), KYCVS_TRUST_PROXY: '1' });
    try {
      const mobiles = await registerPeople(server, 24);
      const started = Date.now();
      const answers = [];
      for (const [i, mobile] of mobiles.entries()) {
        answers.push(await pump(server, { mobile, ip: `198.51.100.${i}`, ...(i % 2 ? { clientId: DEMO.hotel.id } : {}) }));
      }
      const windows = windowsSpanned(started, Date.now(), 60);
      await settle(server);
      const ok = accepted(answers);
      t.diagnostic(`figure: global cap ${CAP}/min: 24 tries (2 clients, 24 IPs, 24 mobiles) → ${ok} accepted, ${sentTo(mobiles)} SMS`);
      assert.ok(ok >= 1 && ok <= CAP * windows, `${ok}`);
      assert.equal(sentTo(mobiles), ok);
    } finally {
      await server.close();
    }
  });

  test('a request refused by the per-IP cap does not use up the victim’s hourly SMS quota (no silent lock-out from a capped address)', async (t) => {
    const server = await pumpTarget({ KYCVS_SMS_PER_IP_HOUR: '2', KYCVS_SMS_PER_MOBILE_HOUR: undefined, KYCVS_TRUST_PROXY: '1' });
    try {
      const [victim, decoyA, decoyB] = await registerPeople(server, 3);
      // The attacker's address spends its own quota on decoys…
      assert.equal(accepted([await pump(server, { mobile: decoyA!, ip: '203.0.113.66' }), await pump(server, { mobile: decoyB!, ip: '203.0.113.66' })]), 2);
      // …then keeps asking for the victim's code: refused every time, no text sent.
      const refused = [];
      for (let i = 0; i < 10; i++) refused.push(await pump(server, { mobile: victim!, ip: '203.0.113.66' }));
      assert.equal(accepted(refused), 0);
      await settle(server);
      assert.equal(sentTo([victim!]), 0);
      // The citizen, from their own address, asks for a code.
      const own = await pump(server, { mobile: victim!, ip: '198.51.100.9', clientId: DEMO.hotel.id });
      t.diagnostic(`figure: 10 requests refused by the per-IP cap for one mobile → the citizen's own request then answered ${own.status} ${own.body?.error ?? ''}`);
      assert.equal(own.status, 202, `the citizen is locked out by requests that were refused: ${own.text}`);
    } finally {
      await server.close();
    }
  });

  test('a burst of 1500 pumping requests from 200 IPs: texts stay under the client cap, and the other verifier’s flows go through meanwhile', async (t) => {
    const CLIENT_CAP = 40;
    const server = await pumpTarget({
      KYCVS_SMS_PER_CLIENT_HOUR: String(CLIENT_CAP),
      KYCVS_SMS_PER_MOBILE_HOUR: undefined,
      KYCVS_SMS_PER_IP_HOUR: undefined,
      KYCVS_SESSIONS_PER_IP_MINUTE: undefined,
      KYCVS_TRUST_PROXY: '1',
    });
    try {
      const targets = await registerPeople(server, 300);
      const hotelPeople = await registerPeople(server, 5);
      const started = Date.now();
      const TOTAL = 1500;
      let next = 0;
      const answers: ApiResponse[] = [];
      const attacker = async () => {
        while (next < TOTAL) {
          const i = next++;
          answers.push(await pump(server, { mobile: targets[i % targets.length]!, ip: `100.64.${i % 200}.1` }));
        }
      };
      // The hotel's backend, server to server, during the burst: session with mobile and name → code → token.
      const hotelLatencies: number[] = [];
      let attackDoneWhenHotelDone = -1;
      const hotel = async () => {
        await waitFor(() => next >= 100, { what: 'the burst to be under way' });
        for (const mobile of hotelPeople) {
          const t0 = performance.now();
          const created = await server.api('POST', '/v1/sessions', {
            apiKey: DEMO.hotel.apiKey,
            headers: { 'x-forwarded-for': '192.0.2.10' },
            json: { mobile, name: 'Pumped Person' },
          });
          assert.equal(created.status, 201, created.text);
          const otp = await gateway.otp((m) => m.to === `+91${mobile}`);
          const verified = await server.api('POST', `/v1/sessions/${created.body.session_id}/otp/verify`, {
            apiKey: DEMO.hotel.apiKey,
            headers: { 'x-forwarded-for': '192.0.2.10' },
            json: { otp, consent: true },
          });
          assert.equal(verified.status, 200, verified.text);
          assert.equal(typeof verified.body.token, 'string');
          hotelLatencies.push(performance.now() - t0);
        }
        attackDoneWhenHotelDone = next;
      };
      await Promise.all([...Array.from({ length: 24 }, attacker), hotel()]);
      const windows = windowsSpanned(started, Date.now(), 3600);
      await settle(server);
      assert.equal(answers.length, TOTAL);
      const ok = accepted(answers);
      const railwaySent = sentTo(targets);
      const seconds = (Date.now() - started) / 1000;
      hotelLatencies.sort((a, b) => a - b);
      t.diagnostic(
        `figure: burst of ${TOTAL} pumping requests (24 at a time, 200 IPs, 300 mobiles) in ${seconds.toFixed(1)} s → ${ok} accepted, ${railwaySent} SMS sent (client cap ${CLIENT_CAP}); ` +
          `hotel flows during it (between requests 100 and ${attackDoneWhenHotelDone}): ${hotelLatencies.length}/5 got a token, slowest ${Math.round(hotelLatencies.at(-1)!)} ms`,
      );
      assert.ok(railwaySent <= CLIENT_CAP * windows, `${railwaySent} texts`);
      assert.equal(railwaySent, ok);
      assert.equal(hotelLatencies.length, 5);
      assert.ok(attackDoneWhenHotelDone < TOTAL, 'the hotel’s flows ran while the burst was still going');
      assert.ok(hotelLatencies.at(-1)! < 10_000, 'each hotel flow finished within 10 s');
      assert.equal((await server.api('GET', '/healthz')).status, 200);
    } finally {
      await server.close();
    }
  });
});
