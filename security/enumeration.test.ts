// Attack: enumeration. A verifier (or anyone holding a widget session) wants to learn whether a
// mobile number is in the vaccination registry without the citizen's OTP. Defences: `/otp` and
// `/otp/verify` answer a registered and an unregistered mobile with the same status, headers and
// body, and the same work on the request path — the SMS goes out after the answer. This test
// checks the answers byte for byte and compares the latency distributions of a few hundred
// randomly interleaved calls of each kind against the service running as its own process, with
// its SMS gateway (a fake, on 127.0.0.1) on the production path.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type ChildServer, spawnServer } from '../test-support/child-server.ts';
import { FakeSmsGatewayProcess } from '../test-support/fake-sms-gateway.ts';
import { type ApiResponse, DEMO, type Person, assertApiError, waitFor } from '../test-support/harness.ts';

const PER_KIND = 300;
const WARMUP = 40;

// A process of its own: its work on each text must not run in the process that measures the answers.
const gateway = new FakeSmsGatewayProcess();
let server: ChildServer;
before(async () => {
  const url = await gateway.start();
  server = await spawnServer({
    env: {
      KYCVS_SMS_GATEWAY_URL: url,
      KYCVS_SMS_GATEWAY_TOKEN: 'gw',
      // Room for hundreds of codes and wrong tries on the same two mobiles.
      KYCVS_MAX_WRONG_OTP: '100000',
      LOG_LEVEL: 'warn',
    },
  });
});
after(async () => {
  await server?.cleanup();
  await gateway.close();
});

const REGISTERED: Person = DEMO.arjun;
const REGISTERED_OTHER_NAME: Person = { mobile: DEMO.arjun.mobile, name: 'Someone Else' };
const UNREGISTERED: Person = DEMO.unregistered;

async function newSession(): Promise<string> {
  const res = await server.api('POST', '/v1/sessions', { apiKey: DEMO.railway.apiKey, json: {} });
  assert.equal(res.status, 201, res.text);
  return res.body.session_id;
}

const sendOtp = (id: string, p: Person) =>
  server.api('POST', `/v1/sessions/${id}/otp`, { apiKey: DEMO.railway.apiKey, json: { mobile: p.mobile, name: p.name } });
const verify = (id: string, otp: string) =>
  server.api('POST', `/v1/sessions/${id}/otp/verify`, { apiKey: DEMO.railway.apiKey, json: { otp } });

/** What an answer shows an attacker: status, body, and headers but for the per-request ones. */
function visible(res: ApiResponse): unknown {
  const headers = [...res.headers.entries()].filter(([k]) => !['date', 'x-request-id', 'content-length', 'etag'].includes(k));
  return { status: res.status, body: res.body, headers, length: res.text.length };
}

/** Fisher–Yates over a seeded generator, so a failing order can be replayed from the log. */
function shuffled<T>(items: T[], seed: number): T[] {
  let s = seed >>> 0 || 1;
  const rand = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** Two-sample Kolmogorov–Smirnov statistic: the largest gap between the two empirical CDFs. */
function ksStatistic(a: number[], b: number[]): number {
  const x = [...a].sort((p, q) => p - q);
  const y = [...b].sort((p, q) => p - q);
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < x.length && j < y.length) {
    const v = Math.min(x[i]!, y[j]!);
    while (i < x.length && x[i]! <= v) i++;
    while (j < y.length && y[j]! <= v) j++;
    d = Math.max(d, Math.abs(i / x.length - j / y.length));
  }
  return d;
}

interface Comparison {
  d: number;
  medians: [number, number];
  p90s: [number, number];
}

function compare(a: number[], b: number[]): Comparison {
  const sa = [...a].sort((p, q) => p - q);
  const sb = [...b].sort((p, q) => p - q);
  return { d: ksStatistic(a, b), medians: [quantile(sa, 0.5), quantile(sb, 0.5)], p90s: [quantile(sa, 0.9), quantile(sb, 0.9)] };
}

const ms = (v: number) => v.toFixed(3);

/**
 * The resolution of this run: the smallest delay that, added to every call of one kind, would
 * have failed the KS threshold, given the noise this run actually saw.
 */
function detectableShift(a: number[], b: number[]): string {
  for (let shift = 0.05; shift <= 5; shift += 0.05) {
    if (ksStatistic(a.map((v) => v + shift), b) >= 0.2) return `${shift.toFixed(2)} ms`;
  }
  return '> 5 ms';
}

/**
 * Indistinguishable: the KS statistic under 0.2 (for 300 + 300 samples the 0.1 % critical value of
 * identical distributions is 0.16; a leak of half a millisecond on a ~1 ms call drives it towards 1),
 * and medians within 0.3 ms or 25 % of each other.
 */
function assertIndistinguishable(c: Comparison, what: string): void {
  const [ma, mb] = c.medians;
  const where = `${what}: KS D=${c.d.toFixed(3)}, medians ${ms(ma)} / ${ms(mb)} ms, p90 ${ms(c.p90s[0])} / ${ms(c.p90s[1])} ms`;
  assert.ok(c.d < 0.2, where);
  assert.ok(Math.abs(ma - mb) <= Math.max(0.3, 0.25 * Math.min(ma, mb)), where);
}

/** Times `run` for each kind in a random interleaving; the first WARMUP calls are not kept. */
async function timeInterleaved(kinds: string[], prepared: Map<string, (() => Promise<ApiResponse>)[]>, seed: number) {
  const order = shuffled(kinds.flatMap((k) => Array.from({ length: PER_KIND + WARMUP / kinds.length }, () => k)), seed);
  const samples = new Map<string, number[]>(kinds.map((k) => [k, []]));
  const next = new Map<string, number>(kinds.map((k) => [k, 0]));
  for (const [n, kind] of order.entries()) {
    const i = next.get(kind)!;
    next.set(kind, i + 1);
    const call = prepared.get(kind)![i]!;
    const t0 = performance.now();
    const res = await call();
    const elapsed = performance.now() - t0;
    if (n >= WARMUP) samples.get(kind)!.push(elapsed);
    assert.ok(res.status < 500, res.text);
  }
  return samples;
}

describe('enumeration', () => {
  test('/otp: same status, headers and body for a registered person, a registered mobile under another name, and an unregistered mobile', async () => {
    const answers = [];
    for (const p of [REGISTERED, REGISTERED_OTHER_NAME, UNREGISTERED]) answers.push(visible(await sendOtp(await newSession(), p)));
    assert.deepEqual(answers[1], answers[0]);
    assert.deepEqual(answers[2], answers[0]);
    assert.equal((answers[0] as { status: number }).status, 202);
  });

  test('/otp/verify: a wrong code, the last wrong code and a resend answer alike, registered or not', async () => {
    const seen: unknown[][] = [];
    for (const p of [REGISTERED, UNREGISTERED]) {
      const steps: unknown[] = [];
      const id = await newSession();
      await sendOtp(id, p);
      for (let i = 0; i < 3; i++) {
        const res = await verify(id, String(100_000 + i));
        if (res.body?.error === 'otp_invalid') assertApiError(res, 'otp_invalid');
        steps.push(visible(res));
      }
      steps.push(visible(await sendOtp(id, p)));
      seen.push(steps);
    }
    assert.deepEqual(seen[1], seen[0]);
  });

  test(`/otp timing: ${PER_KIND} registered and ${PER_KIND} unregistered requests, interleaved at random, are indistinguishable`, async (t) => {
    const seed = Date.now() % 1_000_000;
    const prepared = new Map<string, (() => Promise<ApiResponse>)[]>();
    const per = PER_KIND + WARMUP / 2;
    for (const [kind, person] of [['registered', REGISTERED], ['unregistered', UNREGISTERED]] as const) {
      const ids = [];
      for (let i = 0; i < per; i++) ids.push(await newSession());
      prepared.set(kind, ids.map((id) => () => sendOtp(id, person)));
    }
    const smsBefore = (await gateway.messages()).length;
    const samples = await timeInterleaved(['registered', 'unregistered'], prepared, seed);
    const c = compare(samples.get('registered')!, samples.get('unregistered')!);
    t.diagnostic(
      `figure: /otp timing (seed ${seed}), registered vs unregistered, ${PER_KIND} each: KS D = ${c.d.toFixed(3)}, ` +
        `median ${ms(c.medians[0])} vs ${ms(c.medians[1])} ms, p90 ${ms(c.p90s[0])} vs ${ms(c.p90s[1])} ms; ` +
        `a leak of ${detectableShift(samples.get('registered')!, samples.get('unregistered')!)} per call would have failed this run`,
    );
    // The registered side really did send its texts (after answering).
    await waitFor(async () => (await gateway.messages()).length - smsBefore >= per, { what: 'the registered texts at the gateway' });
    assertIndistinguishable(c, '/otp');
  });

  test(`/otp/verify timing: ${PER_KIND} wrong codes for a registered and ${PER_KIND} for an unregistered mobile are indistinguishable`, async (t) => {
    const seed = (Date.now() + 7) % 1_000_000;
    const prepared = new Map<string, (() => Promise<ApiResponse>)[]>();
    const per = PER_KIND + WARMUP / 2;
    for (const [kind, person] of [['registered', REGISTERED], ['unregistered', UNREGISTERED]] as const) {
      const id = await newSession();
      const textsBefore = (await gateway.messages()).filter((m) => m.to === `+91${person.mobile}`).length;
      assert.equal((await sendOtp(id, person)).status, 202);
      // Codes nobody was sent for the unregistered mobile; for the registered one, never its own code.
      const real = kind === 'registered' ? await gateway.otp((m) => m.to === `+91${person.mobile}`, { nth: textsBefore + 1 }) : '';
      const guesses = Array.from({ length: per + 1 }, (_, i) => String(200_000 + i)).filter((g) => g !== real).slice(0, per);
      prepared.set(kind, guesses.map((g) => () => verify(id, g)));
    }
    const samples = await timeInterleaved(['registered', 'unregistered'], prepared, seed);
    const c = compare(samples.get('registered')!, samples.get('unregistered')!);
    t.diagnostic(
      `figure: /otp/verify timing (seed ${seed}), registered vs unregistered, ${PER_KIND} each: KS D = ${c.d.toFixed(3)}, ` +
        `median ${ms(c.medians[0])} vs ${ms(c.medians[1])} ms, p90 ${ms(c.p90s[0])} vs ${ms(c.p90s[1])} ms; ` +
        `a leak of ${detectableShift(samples.get('registered')!, samples.get('unregistered')!)} per call would have failed this run`,
    );
    assertIndistinguishable(c, '/otp/verify');
  });
});
