// The Co-WIN-compatible API, driven the way a client written to Co-WIN's KYC-VS v3 API drives it:
// plain fetch, Co-WIN's paths, bodies, headers and error shape, and nothing of ours on the client
// side (no client code, no protocol types) — the code comes from the demo SMS outbox, as a citizen
// would read it, and is sent as sha256(code) in hex. The token is checked with jose against the
// published JWKS, as any JOSE library would. The same rules as /v1 are attacked here: consent
// record before any status, enumeration, limits, locks, quotas, bad input.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, describe, test } from 'node:test';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { DEMO, type TestServer, startTestServer } from '../test-support/harness.ts';

const server = await startTestServer();
after(() => server.close());

const RAILWAY_KEY: string = DEMO.railway.apiKey;
const HOTEL_KEY: string = DEMO.hotel.apiKey;
const ASHA = { mobile: '9876543210', name: 'Asha Verma' };
const RAVI = { mobile: '9876543210', name: 'Ravi Verma' };
const ARJUN = { mobile: '9123456780', name: 'Arjun Singh' };
const UNREGISTERED = { mobile: '9000000000', name: 'Nobody Known' };

const ERROR_KEYS = new Set(['errorCode', 'error', 'attempts_left', 'retry_after', 'fields']);
const INTERNALS = /\bat .+\(.*:\d+:\d+\)|node_modules|\/server\/|\.ts:\d+|Error:/;

interface Answer {
  status: number;
  headers: Headers;
  body: any;
  text: string;
}

interface Call {
  key?: string;
  authorization?: string;
  json?: unknown;
  raw?: string;
  headers?: Record<string, string>;
}

async function call(target: TestServer, method: string, path: string, options: Call = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.key !== undefined) headers['x-api-key'] = options.key;
  if (options.authorization !== undefined) headers.authorization = options.authorization;
  let body: string | undefined;
  if (options.json !== undefined) {
    headers['content-type'] ??= 'application/json';
    body = JSON.stringify(options.json);
  } else if (options.raw !== undefined) body = options.raw;
  const res = await fetch(`${target.url}${path}`, { method, headers, body });
  const text = await res.text();
  const json = (res.headers.get('content-type') ?? '').includes('application/json') && text ? JSON.parse(text) : undefined;
  return { status: res.status, headers: res.headers, body: json, text };
}

const sha256hex = (text: string) => crypto.createHash('sha256').update(text).digest('hex');

const generateOtp = (person: { mobile: string; name: string }, key = RAILWAY_KEY, target = server) =>
  call(target, 'POST', '/api/v3/vaccination/generateOTP', { key, json: { mobile_number: person.mobile, full_name: person.name } });
const confirmOtp = (txnId: string, digest: string, key = RAILWAY_KEY, target = server) =>
  call(target, 'POST', '/api/v3/vaccination/confirmOTP', { key, json: { otp: digest, txnId } });
const status = (token: string | undefined, key: string | undefined = RAILWAY_KEY, target = server) =>
  call(target, 'GET', '/api/v3/vaccination/status', { key, authorization: token === undefined ? undefined : `Bearer ${token}` });

/** The demo outbox, newest first (`GET /v1/dev/sms?mobile=`, demo mode only). */
async function texts(mobile: string, target = server): Promise<{ to: string; text: string; sent_at: string }[]> {
  const res = await call(target, 'GET', `/v1/dev/sms?mobile=${mobile}`);
  assert.equal(res.status, 200, res.text);
  return res.body.messages;
}

/** Runs `act`, then waits for the SMS it sends and returns the code in it. */
async function codeSentBy<T>(mobile: string, act: () => Promise<T>, target = server): Promise<{ result: T; code: string }> {
  const before = JSON.stringify((await texts(mobile, target))[0] ?? null);
  const result = await act();
  const deadline = Date.now() + 5_000;
  for (;;) {
    const newest = (await texts(mobile, target))[0];
    if (newest && JSON.stringify(newest) !== before) {
      const code = /^(\d{6}) is your KYC-VS code/.exec(newest.text)?.[1];
      assert.ok(code, `a code in ${newest.text}`);
      return { result, code };
    }
    assert.ok(Date.now() < deadline, `no SMS reached ${mobile}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** generateOTP for `person`, the code from the SMS it sent. */
async function txnWithCode(person: { mobile: string; name: string }, key = RAILWAY_KEY, target = server) {
  const { result, code } = await codeSentBy(person.mobile, () => generateOtp(person, key, target), target);
  assert.equal(result.status, 200, result.text);
  assert.deepEqual(Object.keys(result.body), ['txnId']);
  return { txnId: result.body.txnId as string, code, digest: sha256hex(code) };
}

/** Co-WIN's error shape, the status and code expected, and nothing internal. */
function assertCowinError(res: Answer, httpStatus: number, errorCode: string | RegExp, context = ''): void {
  const where = `${context}: ${res.status} ${res.text.slice(0, 300)}`;
  assert.equal(res.status, httpStatus, where);
  assert.match(res.headers.get('content-type') ?? '', /application\/json/, where);
  if (typeof errorCode === 'string') assert.equal(res.body?.errorCode, errorCode, where);
  else assert.match(res.body?.errorCode ?? '', errorCode, where);
  assert.equal(typeof res.body.error, 'string', where);
  assert.ok(res.body.error.length > 0, where);
  for (const key of Object.keys(res.body)) assert.ok(ERROR_KEYS.has(key), `${where}: unexpected key ${key}`);
  assert.doesNotMatch(res.text, INTERNALS, `${where}: leaks internals`);
  assert.doesNotMatch(res.text, /vaccination_status|"token"/, `${where}: an error carries a status or token`);
}

/** Any answer carrying a status or a token must come after an `allow` record of that disclosure. */
async function assertRecordedBefore(res: Answer, txnId: string, what: string): Promise<void> {
  if (!/"vaccination_status"|"token"\s*:/.test(res.text)) return;
  const audit = await server.services.audit.forSession(txnId);
  assert.ok(audit.some((e) => e.event === 'allow'), `${what}: a status went out with no allow record: ${res.text}`);
}

const jwks = createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`));

describe('Co-WIN KYC-VS v3: the flow', () => {
  for (const [person, expected] of [
    [ASHA, 2],
    [RAVI, 1],
    [ARJUN, 2],
  ] as const) {
    test(`${person.name}: generateOTP → confirmOTP (sha256 of the code) → status = ${expected}, the allow record first`, async () => {
      const { txnId, digest } = await txnWithCode(person);

      const confirmed = await confirmOtp(txnId, digest);
      assert.equal(confirmed.status, 200, confirmed.text);
      assert.deepEqual(Object.keys(confirmed.body), ['token']);
      assert.equal(confirmed.headers.get('cache-control'), 'no-store');
      // Entering the code in the verifier's app was the consent: recorded with the token, before the answer.
      const audit = await server.services.audit.forSession(txnId);
      assert.deepEqual(
        audit.map((e) => [e.event, e.clientId, e.vaccinationStatus]),
        [['allow', DEMO.railway.id, expected]],
      );
      await assertRecordedBefore(confirmed, txnId, 'confirmOTP');

      const read = await status(confirmed.body.token);
      assert.equal(read.status, 200, read.text);
      assert.deepEqual(read.body, { vaccination_status: expected, token: confirmed.body.token });
      assert.equal(read.headers.get('cache-control'), 'no-store');
      await assertRecordedBefore(read, txnId, 'status');
      assert.equal((await server.services.audit.forSession(txnId)).length, 1, 'reading the status again records nothing new');

      // The token is our signed status token: verifiable offline against the published keys.
      const { payload, protectedHeader } = await jwtVerify(confirmed.body.token, jwks, {
        issuer: server.url,
        audience: DEMO.railway.id,
        typ: 'kycvs-status+jwt',
        algorithms: ['EdDSA'],
      });
      assert.equal(protectedHeader.alg, 'EdDSA');
      assert.equal(payload.vaccination_status, expected);
      assert.equal(payload.txn, txnId);
      for (const leak of [person.mobile, person.name, 'COVISHIELD']) assert.ok(!JSON.stringify(payload).includes(leak), leak);
    });
  }

  test('a txnId confirms once: the same right code again is refused, and nothing more is recorded', async () => {
    const { txnId, digest } = await txnWithCode(ASHA);
    assert.equal((await confirmOtp(txnId, digest)).status, 200);
    assertCowinError(await confirmOtp(txnId, digest), 409, 'KYCVS0204', 'second confirm');
    assert.equal((await server.services.audit.forSession(txnId)).length, 1);
  });

  test('an upper-case hex digest is the same digest', async () => {
    const { txnId, digest } = await txnWithCode(ARJUN);
    const confirmed = await confirmOtp(txnId, digest.toUpperCase());
    assert.equal(confirmed.status, 200, confirmed.text);
  });
});

describe('Co-WIN KYC-VS v3: codes, locks, expiry', () => {
  test('a wrong hashed OTP is USRAUT0014 "Invalid OTP" with the tries left; the fifth locks the txnId, even for the right code', async () => {
    const { txnId, digest } = await txnWithCode(ASHA);
    const wrong = sha256hex('000000') === digest ? sha256hex('111111') : sha256hex('000000');
    for (let left = 4; left >= 1; left--) {
      const res = await confirmOtp(txnId, wrong);
      assertCowinError(res, 400, 'USRAUT0014', `wrong try, ${left} left`);
      assert.equal(res.body.error, 'Invalid OTP');
      assert.equal(res.body.attempts_left, left);
    }
    const locked = await confirmOtp(txnId, wrong);
    assertCowinError(locked, 429, 'KYCVS0301', 'fifth wrong try');
    assert.ok(locked.body.retry_after > 0);
    assert.equal(locked.headers.get('retry-after'), String(locked.body.retry_after));
    assertCowinError(await confirmOtp(txnId, digest), 429, 'KYCVS0301', 'right code after the lock');
    assert.equal((await server.services.audit.forSession(txnId)).length, 0);
  });

  test('the code itself (not its sha256) is refused as bad input and counts as no try', async () => {
    const { txnId, code, digest } = await txnWithCode(ARJUN);
    const plain = await confirmOtp(txnId, code);
    assertCowinError(plain, 400, 'KYCVS0001', 'plain code');
    assert.deepEqual(plain.body.fields, ['otp']);
    const wrong = await confirmOtp(txnId, sha256hex(code === '123456' ? '654321' : '123456'));
    assert.equal(wrong.body.attempts_left, 4, 'the plain code was not counted as a wrong try');
    assert.equal((await confirmOtp(txnId, digest)).status, 200);
  });

  test('an unknown txnId and another verifier’s txnId answer the same, and the other verifier’s try costs its owner nothing', async () => {
    const { txnId, digest } = await txnWithCode(ASHA);
    const unknown = await confirmOtp(`ses_${'A'.repeat(24)}`, digest);
    const garbage = await confirmOtp('not-a-txn', digest);
    const foreign = await confirmOtp(txnId, digest, HOTEL_KEY);
    for (const [res, what] of [
      [unknown, 'unknown'],
      [garbage, 'garbage'],
      [foreign, 'another verifier'],
    ] as const) {
      assertCowinError(res, 400, 'KYCVS0201', what);
    }
    assert.equal(foreign.text, unknown.text);
    assert.equal(garbage.text, unknown.text);
    assert.equal((await server.services.audit.forSession(txnId)).length, 0);
    const own = await confirmOtp(txnId, digest);
    assert.equal(own.status, 200, own.text);
  });

  test('a missing or wrong x-api-key is a 401 in Co-WIN’s shape on every route, and sends no SMS', async () => {
    const before = JSON.stringify(await texts(ARJUN.mobile));
    const body = { mobile_number: ARJUN.mobile, full_name: ARJUN.name };
    const answers: [Answer, string][] = [
      [await call(server, 'POST', '/api/v3/vaccination/generateOTP', { json: body }), 'generateOTP, no key'],
      [await call(server, 'POST', '/api/v3/vaccination/generateOTP', { key: 'kyc_wrong', json: body }), 'generateOTP, wrong key'],
      [await call(server, 'POST', '/api/v3/vaccination/generateOTP', { key: '', json: body }), 'generateOTP, empty key'],
      [
        await call(server, 'POST', '/api/v3/vaccination/generateOTP', { authorization: `Bearer ${RAILWAY_KEY}`, json: body }),
        'generateOTP, key as a bearer (/v1 style)',
      ],
      [await call(server, 'POST', '/api/v3/vaccination/confirmOTP', { key: 'kyc_wrong', json: { otp: sha256hex('123456'), txnId: 'x' } }), 'confirmOTP'],
      [await status('a.b.c', undefined), 'status, no key'],
      [await status('a.b.c', 'kyc_wrong'), 'status, wrong key'],
    ];
    for (const [res, what] of answers) {
      assertCowinError(res, 401, 'KYCVS0101', what);
      assert.match(res.body.error, /^Unauthenticated access/);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(JSON.stringify(await texts(ARJUN.mobile)), before, 'no SMS without a valid key');
  });

  test('status takes only the calling verifier’s own, unaltered token', async () => {
    const { txnId, digest } = await txnWithCode(RAVI);
    const { token } = (await confirmOtp(txnId, digest)).body;
    const [h, p, s] = token.split('.');
    const flipped = `${h}.${p}.${s.slice(0, -2)}${s.at(-2) === 'A' ? 'B' : 'A'}${s.at(-1)}`;
    const otherPayload = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p, 'base64url').toString()), vaccination_status: 2 })).toString('base64url');
    for (const [res, what] of [
      [await status(token, HOTEL_KEY), 'another verifier’s key'],
      [await status(undefined), 'no Authorization'],
      [await call(server, 'GET', '/api/v3/vaccination/status', { key: RAILWAY_KEY, authorization: `Basic ${token}` }), 'Basic scheme'],
      [await status('not-a-token'), 'not a JWS'],
      [await status(flipped), 'signature altered'],
      [await status(`${h}.${otherPayload}.${s}`), 'payload altered'],
      [await status(`${token}=`), 'another spelling'],
    ] as const) {
      assertCowinError(res, 401, 'KYCVS0101', what);
    }
    const own = await status(token);
    assert.equal(own.status, 200);
    assert.equal(own.body.vaccination_status, 1);
    // Some Co-WIN clients send the token without "Bearer ".
    const bare = await call(server, 'GET', '/api/v3/vaccination/status', { key: RAILWAY_KEY, authorization: token });
    assert.deepEqual(bare.body, own.body);
  });

  test('a name that matches no one on the mobile is USRAUT0024 "Beneficiary Not Registered", never status 0', async () => {
    const { txnId, digest } = await txnWithCode({ mobile: ASHA.mobile, name: 'Kiran Rao' });
    const res = await confirmOtp(txnId, digest);
    assertCowinError(res, 400, 'USRAUT0024', 'typo’d name');
    assert.equal(res.body.error, 'Beneficiary Not Registered');
    assert.equal((await server.services.audit.forSession(txnId)).length, 0, 'no disclosure recorded');
  });

  test('expiry: an OTP after its 1 s, a token at its exp, a txnId after its 4 s', async () => {
    // Waits follow each deadline as the server set it: a token's exp is whole seconds (a 1 s token issued
    // at x.999 s dies a millisecond later), and a starved CI machine may take a second between two calls.
    const short = await startTestServer({
      env: { KYCVS_OTP_TTL: '1' },
      configure: (config) => {
        config.sessionTtlSeconds = 4;
        config.tokenTtlSeconds = 2;
      },
    });
    const until = (at: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, at - Date.now())));
    try {
      const b = await txnWithCode(ASHA, RAILWAY_KEY, short);
      const { token } = (await confirmOtp(b.txnId, b.digest, RAILWAY_KEY, short)).body;
      assert.equal((await status(token, RAILWAY_KEY, short)).status, 200, 'a fresh token is good');
      const exp = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()).exp as number;
      const aSent = Date.now();
      const a = await txnWithCode(ARJUN, RAILWAY_KEY, short);
      const cStarted = Date.now();
      const c = await txnWithCode(ASHA, RAILWAY_KEY, short);
      await until(Math.max(aSent + 1_000 + 100, exp * 1_000 + 100));
      assertCowinError(await confirmOtp(a.txnId, a.digest, RAILWAY_KEY, short), 400, 'KYCVS0203', 'OTP expired');
      assertCowinError(await status(token, RAILWAY_KEY, short), 401, 'KYCVS0101', 'token expired');
      await until(cStarted + 4_000 + 100);
      assertCowinError(await confirmOtp(c.txnId, c.digest, RAILWAY_KEY, short), 400, 'KYCVS0202', 'txnId expired');
    } finally {
      await short.close();
    }
  });
});

describe('Co-WIN KYC-VS v3: enumeration', () => {
  test('generateOTP answers an unregistered mobile like a registered one, and texts only the registered', async () => {
    const before = (await texts(UNREGISTERED.mobile)).length;
    const registered = await txnWithCode(ARJUN);
    const unregistered = await generateOtp(UNREGISTERED);
    assert.equal(unregistered.status, 200);
    assert.deepEqual(Object.keys(unregistered.body), ['txnId']);
    assert.equal(unregistered.body.txnId.length, registered.txnId.length);
    const headerNames = (res: Answer) => [...res.headers.keys()].filter((k) => !['date', 'content-length', 'x-request-id'].includes(k)).sort();
    const registeredAnswer = await generateOtp(ASHA);
    assert.deepEqual(headerNames(unregistered), headerNames(registeredAnswer));
    assert.equal(unregistered.headers.get('content-length'), registeredAnswer.headers.get('content-length'));
    // A wrong code on either is the same answer too.
    const wrong = sha256hex('999999');
    const a = await confirmOtp(unregistered.body.txnId, wrong);
    const b = await confirmOtp(registeredAnswer.body.txnId, wrong);
    assert.equal(a.status, b.status);
    assert.equal(a.text, b.text);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal((await texts(UNREGISTERED.mobile)).length, before, 'no SMS to an unregistered mobile');
  });

  // A smoke check of the timing class on a shared machine; the fine measurement of these same steps
  // (two-sample KS over 300 + 300 calls, service in its own process) is security/enumeration.test.ts.
  test('…in the same time: 60 + 60 interleaved generateOTP calls, medians close', async (t) => {
    const timings: Record<'registered' | 'unregistered', number[]> = { registered: [], unregistered: [] };
    const order = Array.from({ length: 120 }, (_, i): 'registered' | 'unregistered' => (i % 2 === 0 ? 'registered' : 'unregistered')).sort(() => Math.random() - 0.5);
    for (let i = 0; i < 6; i++) await generateOtp(i % 2 ? ARJUN : UNREGISTERED); // warm-up
    for (const kind of order) {
      const started = performance.now();
      const res = await generateOtp(kind === 'registered' ? ARJUN : UNREGISTERED);
      timings[kind].push(performance.now() - started);
      assert.equal(res.status, 200);
    }
    const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
    const [r, u] = [median(timings.registered), median(timings.unregistered)];
    t.diagnostic(`generateOTP median: registered ${r.toFixed(2)} ms, unregistered ${u.toFixed(2)} ms`);
    assert.ok(Math.abs(r - u) < Math.max(1.5, 0.4 * Math.max(r, u)), `medians ${r.toFixed(2)} ms vs ${u.toFixed(2)} ms`);
  });
});

describe('Co-WIN KYC-VS v3: bad input', () => {
  test('every bad input is a 4xx in Co-WIN’s shape, never a 500', async () => {
    const gen = (json: unknown) => call(server, 'POST', '/api/v3/vaccination/generateOTP', { key: RAILWAY_KEY, json });
    const conf = (json: unknown) => call(server, 'POST', '/api/v3/vaccination/confirmOTP', { key: RAILWAY_KEY, json });
    const digest = sha256hex('123456');
    const cases: [Promise<Answer>, number, string, string][] = [
      [gen({}), 400, 'KYCVS0001', 'empty body'],
      [gen({ full_name: ASHA.name }), 400, 'KYCVS0001', 'no mobile_number'],
      [gen({ mobile_number: ASHA.mobile }), 400, 'KYCVS0001', 'no full_name'],
      [gen({ mobile_number: 9876543210, full_name: ASHA.name }), 400, 'KYCVS0001', 'mobile_number a number'],
      [gen({ mobile_number: '12345', full_name: ASHA.name }), 400, 'KYCVS0001', 'mobile_number too short'],
      [gen({ mobile_number: '5876543210', full_name: ASHA.name }), 400, 'KYCVS0001', 'not a mobile'],
      [gen({ mobile_number: 'x'.repeat(5000), full_name: ASHA.name }), 400, 'KYCVS0001', 'huge mobile_number'],
      [gen({ mobile_number: ASHA.mobile, full_name: '!!! ... --' }), 400, 'KYCVS0001', 'name without letters'],
      [gen({ mobile_number: ASHA.mobile, full_name: 'A'.repeat(101) }), 400, 'KYCVS0001', 'name too long'],
      [gen({ mobile_number: ASHA.mobile, full_name: null }), 400, 'KYCVS0001', 'name null'],
      [gen({ mobile_number: ASHA.mobile, full_name: ASHA.name, admin: true }), 400, 'KYCVS0001', 'unknown field'],
      [gen({ mobile_number: ASHA.mobile, full_name: ASHA.name, email_id: 42 }), 400, 'KYCVS0001', 'email_id not text'],
      [gen([ASHA.mobile, ASHA.name]), 400, 'KYCVS0001', 'array body'],
      [gen('9876543210'), 400, 'KYCVS0002', 'a JSON string, not an object (strict JSON)'],
      [conf({ txnId: 'ses_x' }), 400, 'KYCVS0001', 'no otp'],
      [conf({ otp: digest }), 400, 'KYCVS0001', 'no txnId'],
      [conf({ otp: digest.slice(1), txnId: 'ses_x' }), 400, 'KYCVS0001', 'otp 63 hex'],
      [conf({ otp: `${digest.slice(1)}g`, txnId: 'ses_x' }), 400, 'KYCVS0001', 'otp not hex'],
      [conf({ otp: 123456, txnId: 'ses_x' }), 400, 'KYCVS0001', 'otp a number'],
      [conf({ otp: digest, txnId: 42 }), 400, 'KYCVS0001', 'txnId a number'],
      [conf({ otp: digest, txnId: 'x'.repeat(65) }), 400, 'KYCVS0001', 'txnId too long'],
      [conf({ otp: digest, txnId: '' }), 400, 'KYCVS0001', 'txnId empty'],
      [conf({ otp: digest, txnId: 'ses_x', consent: true }), 400, 'KYCVS0001', 'unknown field'],
      [call(server, 'POST', '/api/v3/vaccination/generateOTP', { key: RAILWAY_KEY, raw: '{"mobile_number":', headers: { 'content-type': 'application/json' } }), 400, 'KYCVS0002', 'broken JSON'],
      [call(server, 'POST', '/api/v3/vaccination/generateOTP', { key: RAILWAY_KEY, raw: 'mobile_number=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 415, 'KYCVS0004', 'a form'],
      [call(server, 'POST', '/api/v3/vaccination/confirmOTP', { key: RAILWAY_KEY, raw: '{}', headers: { 'content-type': 'text/plain' } }), 415, 'KYCVS0004', 'text/plain'],
      [gen({ mobile_number: ASHA.mobile, full_name: 'x'.repeat(9000) }), 413, 'KYCVS0003', 'body over 8 KB'],
      [call(server, 'GET', '/api/v3/vaccination/generateOTP', { key: RAILWAY_KEY }), 405, 'KYCVS0006', 'GET generateOTP'],
      [call(server, 'POST', '/api/v3/vaccination/status', { key: RAILWAY_KEY, json: {} }), 405, 'KYCVS0006', 'POST status'],
      [call(server, 'DELETE', '/api/v3/vaccination/confirmOTP', { key: RAILWAY_KEY }), 405, 'KYCVS0006', 'DELETE confirmOTP'],
      [call(server, 'GET', '/api/v3/vaccination/certificate', { key: RAILWAY_KEY }), 404, 'KYCVS0005', 'unknown path'],
      [call(server, 'GET', '/api/v3/', {}), 404, 'KYCVS0005', 'bare prefix'],
      [call(server, 'GET', '/api/v3/vaccination/status', { key: RAILWAY_KEY, authorization: 'Bearer ' + 'a'.repeat(10_000) + '.b.c' }), 401, 'KYCVS0101', 'huge bearer'],
      [call(server, 'GET', '/api/v3/vaccination/status', { key: 'k'.repeat(300) }), 401, 'KYCVS0101', 'huge key'],
    ];
    for (const [pending, httpStatus, errorCode, what] of cases) assertCowinError(await pending, httpStatus, errorCode, what);
  });
});

describe('Co-WIN KYC-VS v3: the quotas and locks are /v1’s', () => {
  test('texts per mobile and wrong codes per mobile count across /v1 and Co-WIN alike', async () => {
    const tight = await startTestServer({ env: { KYCVS_SMS_PER_MOBILE_HOUR: '2', KYCVS_MAX_WRONG_OTP_PER_MOBILE_DAY: '3' } });
    try {
      // One text through /v1 (a backend-made session with the person), one through Co-WIN: the hour's two.
      const { result: v1 } = await codeSentBy(
        ASHA.mobile,
        () => call(tight, 'POST', '/v1/sessions', { authorization: `Bearer ${RAILWAY_KEY}`, json: { mobile: ASHA.mobile, name: ASHA.name } }),
        tight,
      );
      assert.equal(v1.status, 201, v1.text);
      await txnWithCode(ASHA, RAILWAY_KEY, tight);
      const third = await generateOtp(ASHA, HOTEL_KEY, tight);
      assertCowinError(third, 429, 'KYCVS0304', 'third text this hour');
      assert.ok(third.body.retry_after > 0);
      assert.equal(third.headers.get('retry-after'), String(third.body.retry_after));
      const v1Third = await call(tight, 'POST', '/v1/sessions', { authorization: `Bearer ${RAILWAY_KEY}`, json: { mobile: ASHA.mobile, name: ASHA.name } });
      assert.equal(v1Third.status, 429, v1Third.text);

      // Wrong codes: two on /v1, the third on Co-WIN locks the mobile everywhere, new txnIds included.
      const arjun = await txnWithCode(ARJUN, RAILWAY_KEY, tight);
      const arjunV1 = await codeSentBy(
        ARJUN.mobile,
        () => call(tight, 'POST', '/v1/sessions', { authorization: `Bearer ${HOTEL_KEY}`, json: { mobile: ARJUN.mobile, name: ARJUN.name } }),
        tight,
      );
      const wrongArjun = String((Number(arjunV1.code) + 1) % 1_000_000).padStart(6, '0');
      for (let i = 0; i < 2; i++) {
        const res = await call(tight, 'POST', `/v1/sessions/${arjunV1.result.body.session_id}/otp/verify`, {
          authorization: `Bearer ${HOTEL_KEY}`,
          json: { otp: wrongArjun },
        });
        assert.equal(res.status, 400, res.text);
      }
      const third3 = await confirmOtp(arjun.txnId, sha256hex(arjun.code === '000000' ? '000001' : '000000'), RAILWAY_KEY, tight);
      assertCowinError(third3, 429, 'KYCVS0301', 'the mobile’s third wrong code');
      assertCowinError(await confirmOtp(arjun.txnId, arjun.digest, RAILWAY_KEY, tight), 429, 'KYCVS0301', 'right code, mobile locked');
      assertCowinError(await generateOtp(ARJUN, RAILWAY_KEY, tight), 429, 'KYCVS0301', 'a new txnId for the locked mobile');
    } finally {
      await tight.close();
    }
  });
});
