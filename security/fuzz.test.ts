// Attack: bad input everywhere. fast-check throws thousands of random requests at every route of
// the service running as its own process: random methods, paths, session ids (real ones in every
// state, guessed ones, unicode, huge), headers (media types, encodings, credentials, forwarded
// addresses, request ids) and bodies (random JSON, unicode, raw bytes, bodies far over the limit,
// deeply nested JSON). Never a 5xx, never a crash; the process's resident memory, read from
// /proc, stays bounded; afterwards it is healthy and a full verification still works. A few
// hand-made malformed HTTP requests go over a raw socket, past what an HTTP client would send.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { type ChildServer, spawnServer } from '../test-support/child-server.ts';
import { DEMO, OTP_IN_TEXT, assertClientError, waitFor } from '../test-support/harness.ts';

/** Time for the random requests (the whole file stays well under 45 s on a loaded 2-core box). */
const BUDGET_MS = 18_000;
/** Requests in flight at once, per fast-check run. */
const BATCH = 6;
const MB = 1024 * 1024;

let server: ChildServer;
before(async () => {
  server = await spawnServer({ env: { LOG_LEVEL: 'warn' } });
});
after(() => server?.cleanup());

/** Sessions in each state, so random bodies also reach the checks of every step. */
async function liveSessions(): Promise<string[]> {
  const ids: string[] = [];
  const widget = { client_id: DEMO.hotel.id, origin: DEMO.origin };
  const make = async () => {
    const res = await server.api('POST', '/v1/sessions', { json: widget });
    assert.equal(res.status, 201, res.text);
    return res.body.session_id as string;
  };
  ids.push(await make());
  for (const person of [DEMO.meera, DEMO.arjun]) {
    const id = await make();
    assert.equal((await server.api('POST', `/v1/sessions/${id}/otp`, { json: { mobile: person.mobile, name: person.name } })).status, 202);
    ids.push(id);
  }
  const verified = ids[2]!;
  const otp = await newestOtp(DEMO.arjun.mobile, 0);
  assert.equal((await server.api('POST', `/v1/sessions/${verified}/otp/verify`, { json: { otp } })).status, 200);
  return ids;
}

/** The demo outbox's texts for `mobile`, newest first. */
async function texts(mobile: string): Promise<{ text: string }[]> {
  return (await server.api('GET', `/v1/dev/sms?mobile=${mobile}`)).body.messages;
}

/** The code of the newest text once `mobile` has more than `seen` (texts go out shortly after the answer). */
async function newestOtp(mobile: string, seen: number): Promise<string> {
  const [newest] = await waitFor(async () => {
    const all = await texts(mobile);
    return all.length > seen && all;
  }, { what: `text #${seen + 1} to ${mobile}` });
  return OTP_IN_TEXT.exec(newest!.text)![1]!;
}

const printable = (maxLength: number) => fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength });

type FuzzBody = string | Uint8Array | { deep: 'array' | 'object' | 'unclosed'; depth: number } | { huge: number } | undefined;

interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string | undefined>;
  body: FuzzBody;
}

function materialise(body: Exclude<FuzzBody, undefined>): string | Blob {
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array) return new Blob([new Uint8Array(body)]);
  if ('huge' in body) return JSON.stringify({ name: 'x'.repeat(body.huge) });
  const d = body.depth;
  if (body.deep === 'array') return `${'['.repeat(d)}${']'.repeat(d)}`;
  if (body.deep === 'object') return `${'{"a":'.repeat(d)}1${'}'.repeat(d)}`;
  return '['.repeat(d);
}

function requestArbitrary(realIds: string[]): fc.Arbitrary<FuzzRequest> {
  const id = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...realIds) },
    { weight: 2, arbitrary: fc.string({ unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-'), minLength: 24, maxLength: 24 }).map((s) => `ses_${s}`) },
    fc.webSegment(),
    fc.string({ unit: 'grapheme', maxLength: 30 }).map(encodeURIComponent),
    fc.integer({ min: 100, max: 20_000 }).map((n) => `ses_${'A'.repeat(n)}`),
    fc.constantFrom('%ZZ', '%E2%82', '..%2F..%2Fetc%2Fpasswd', '%00', '.', '..', 'ses_%F0%9F%92%A9'),
  );
  const path = fc.oneof(
    { weight: 3, arbitrary: fc.constant('/v1/sessions') },
    { weight: 6, arbitrary: fc.tuple(id, fc.constantFrom('', '/otp', '/otp/verify', '/consent', '/context', '/otp/verify/x', '/consent/')).map(([i, s]) => `/v1/sessions/${i}${s}`) },
    fc.constantFrom('/.well-known/jwks.json', '/.well-known/kycvs-configuration', '/healthz', '/metrics', '/embed.js', '/widget/', '/widget/assets/x.js', '/v1', '/'),
    fc.tuple(fc.constantFrom('/v1/dev/sms', '/widget/', '/v1/sessions'), fc.webQueryParameters()).map(([p, q]) => `${p}?${q}`),
    fc.webPath().map((p) => p || '/'),
  );
  const method = fc.oneof({ weight: 6, arbitrary: fc.constant('POST') }, { weight: 2, arbitrary: fc.constant('GET') }, fc.constantFrom('PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'));
  const knownKeys = ['mobile', 'name', 'otp', 'consent', 'decision', 'consent_ticket', 'nonce', 'purpose', 'origin', 'client_id', '__proto__', 'constructor'];
  const mobile = fc.oneof(fc.constantFrom(DEMO.asha.mobile, DEMO.arjun.mobile, DEMO.unregistered.mobile, '+91 98765 43210', '0912-345-6780'), fc.stringMatching(/^[6-9]\d{9}$/));
  const name = fc.oneof(fc.constantFrom(DEMO.asha.name, DEMO.arjun.name, 'dr. VERMA, asha', 'आशा वर्मा'), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }));
  // Nearly right bodies for each step, so requests get past validation into the flow itself.
  const plausible = fc
    .oneof(
      fc.record({ mobile, name }),
      fc.record({ client_id: fc.constantFrom(DEMO.railway.id, DEMO.hotel.id, 'nobody'), origin: fc.constantFrom(DEMO.origin, 'http://127.0.0.1:8081', 'https://evil.example') }),
      fc.record({ client_id: fc.constant(DEMO.railway.id), origin: fc.constant(DEMO.origin), mobile, name }, { requiredKeys: ['client_id', 'origin'] }),
      fc.record({ nonce: fc.string({ maxLength: 140 }), purpose: fc.string({ unit: 'grapheme', maxLength: 220 }), mobile, name }, { requiredKeys: [] }),
      fc.record({ otp: fc.oneof(fc.stringMatching(/^\d{6}$/), fc.string({ maxLength: 8 })), consent: fc.oneof(fc.boolean(), fc.constant('true')) }, { requiredKeys: ['otp'] }),
      fc.record({ decision: fc.constantFrom('allow', 'deny', 'maybe'), consent_ticket: fc.string({ maxLength: 120 }) }),
    )
    .map((o) => JSON.stringify(o));
  const anyValue = fc.oneof(
    fc.jsonValue({ maxDepth: 3 }),
    fc.string({ unit: 'binary', maxLength: 64 }),
    fc.string({ unit: 'grapheme', maxLength: 64 }),
    fc.constantFrom(DEMO.asha.mobile, '+91 98765 43210', DEMO.asha.name, '123456', 'allow', 'deny', true, DEMO.railway.id, DEMO.origin),
  );
  // Big bodies travel as descriptions, so a failing case prints short; `materialise` builds them.
  const depth = fc.integer({ min: 50, max: 60_000 });
  const body: fc.Arbitrary<FuzzBody> = fc.oneof(
    { weight: 2, arbitrary: fc.constant(undefined) },
    { weight: 8, arbitrary: plausible },
    { weight: 4, arbitrary: fc.dictionary(fc.oneof(fc.constantFrom(...knownKeys), fc.string({ maxLength: 12 })), anyValue, { maxKeys: 5 }).map((o) => JSON.stringify(o)) },
    { weight: 2, arbitrary: fc.jsonValue().map((v) => JSON.stringify(v) ?? 'null') },
    fc.string({ unit: 'binary', maxLength: 300 }),
    fc.uint8Array({ maxLength: 600 }),
    depth.map((d) => ({ deep: 'array' as const, depth: d })),
    depth.map((d) => ({ deep: 'object' as const, depth: d })),
    depth.map((d) => ({ deep: 'unclosed' as const, depth: d })),
    fc.integer({ min: 8 * 1024, max: 300 * 1024 }).map((n) => ({ huge: n })),
    fc.constantFrom('{"mobile":"9876543210","name":"Asha Verma"}\u0000', '\uFEFF{}', '{"otp":"１２３４５６"}', '{"a":1,"a":2}', 'true', '"str"', '[]', 'null', '{'),
  );
  const contentType = fc.oneof(
    { weight: 6, arbitrary: fc.constant('application/json') },
    fc.constantFrom(undefined, 'application/json; charset=utf-16', 'application/json; charset=latin1', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/merge-patch+json', '*/*'),
    printable(60),
  );
  const authorization = fc.oneof(
    { weight: 4, arbitrary: fc.constant(undefined) },
    { weight: 3, arbitrary: fc.constantFrom(`Bearer ${DEMO.railway.apiKey}`, `Bearer ${DEMO.hotel.apiKey}`) },
    fc.constantFrom(`Bearer ${DEMO.railway.apiKey}`, `Bearer ${DEMO.hotel.apiKey}`, 'Bearer', 'Basic YTpi', `Bearer ${'k'.repeat(500)}`),
    printable(80),
  );
  const headers = fc.record({
    'content-type': contentType,
    authorization,
    'content-encoding': fc.oneof({ weight: 8, arbitrary: fc.constant(undefined) }, fc.constantFrom('gzip', 'deflate', 'br', 'identity', 'x-unknown')),
    'x-forwarded-for': fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, fc.ipV4(), printable(40)),
    'x-request-id': fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, printable(100)),
    'accept-language': fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, printable(40)),
    origin: fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, fc.constantFrom(DEMO.origin, 'null', 'https://evil.example')),
  });
  return fc.record({ method, path, headers, body });
}


interface Outcome {
  status: number;
  text: string;
  contentType: string;
}

/**
 * fetch, sent once more when a kept-alive socket turns out to have been closed by the server
 * while idle (its keep-alive timeout and the client's raced on a starved machine): the server never
 * saw that request, so it says nothing about the service.
 */
async function fetchOnLiveSocket(url: URL, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (err) {
    const cause = (err as Error).cause as { code?: string; message?: string } | undefined;
    const idleSocketClosed = cause?.code === 'UND_ERR_SOCKET' && cause.message === 'other side closed';
    if (!idleSocketClosed || init.body instanceof ReadableStream) throw err;
    return fetch(url, init);
  }
}

async function send(r: FuzzRequest): Promise<Outcome | null> {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(r.headers)) if (v !== undefined) headers[k] = v;
  const payload = r.body !== undefined && r.method !== 'GET' && r.method !== 'HEAD' ? materialise(r.body) : undefined;
  try {
    // Concatenated, never resolved: a path like "//host/x" must not turn into another host.
    const url = new URL(`${server.url}${r.path.startsWith('/') ? '' : '/'}${r.path}`);
    if (url.origin !== new URL(server.url).origin) throw new Error(`refusing to send off the server: ${url.origin}`);
    const res = await fetchOnLiveSocket(url, { method: r.method, headers, body: payload });
    return { status: res.status, text: await res.text(), contentType: res.headers.get('content-type') ?? '' };
  } catch (err) {
    // The server may cut off an upload it refused early (413 on a huge body): the client then
    // sees a reset, not an answer. Anything else is a finding.
    const size = payload === undefined ? 0 : typeof payload === 'string' ? payload.length : payload.size;
    if (size > 8 * 1024) return null;
    throw new Error(`${r.method} ${r.path.slice(0, 80)}: no answer (${(err as Error).message}: ${String((err as Error).cause ?? '')})`);
  }
}

/** The one deliberate 5xx: the widget's files before `npm run build` (the unit tests run without a build). */
function notBuilt(r: FuzzRequest, o: Outcome): boolean {
  return o.status === 503 && /^\/(embed\.js|widget\/)/.test(r.path) && o.text.startsWith('The widget is not built');
}

function check(r: FuzzRequest, o: Outcome): void {
  const what = `${r.method} ${r.path.slice(0, 100)} ${JSON.stringify(r.headers).slice(0, 200)} body ${JSON.stringify(r.body)?.slice(0, 100)}`;
  if (notBuilt(r, o)) return;
  assert.ok(o.status < 500, `${o.status} for ${what}: ${o.text.slice(0, 200)}`);
  if (o.status >= 400 && r.method !== 'HEAD' && o.contentType.includes('application/json')) {
    assertClientError({ status: o.status, headers: new Headers(), body: JSON.parse(o.text), text: o.text }, what);
  }
}

describe('fuzzing every route', () => {
  test(`random requests for ${BUDGET_MS / 1000} s: never a 5xx, never a crash, memory bounded`, async (t) => {
    const realIds = await liveSessions();
    const arb = requestArbitrary(realIds);
    let thrown = 0;
    let unanswered = 0;
    const statuses = new Map<number, number>();
    const rss: { at: number; bytes: number }[] = [];
    const started = Date.now();
    await fc.assert(
      fc.asyncProperty(fc.array(arb, { minLength: BATCH, maxLength: BATCH }), async (batch) => {
        const outcomes = await Promise.all(batch.map(send));
        outcomes.forEach((o, i) => {
          thrown++;
          if (o === null) {
            unanswered++;
            return;
          }
          statuses.set(o.status, (statuses.get(o.status) ?? 0) + 1);
          check(batch[i]!, o);
        });
        if (thrown % (BATCH * 25) === 0) rss.push({ at: Date.now() - started, bytes: server.rssBytes() });
      }),
      { numRuns: 1_000_000, interruptAfterTimeLimit: BUDGET_MS, markInterruptAsFailure: false, endOnFailure: true, includeErrorInReport: true },
    );
    rss.push({ at: Date.now() - started, bytes: server.rssBytes() });

    // Memory: after the first third (warm-up: JIT, caches, SQLite pages), the peak may not run away.
    const warm = rss.filter((s) => s.at >= (Date.now() - started) / 3);
    const base = warm[0]!.bytes;
    const peak = Math.max(...warm.map((s) => s.bytes));
    const last = rss.at(-1)!.bytes;
    const byStatus = [...statuses.entries()].sort(([a], [b]) => a - b).map(([s, n]) => `${s}×${n}`).join(' ');
    t.diagnostic(`figure: ${thrown} random requests in ${((Date.now() - started) / 1000).toFixed(1)} s (${unanswered} huge uploads cut off after a 413); statuses ${byStatus}`);
    t.diagnostic(`figure: server RSS ${(rss[0]!.bytes / MB).toFixed(0)} MB after ${BATCH * 25} requests, ${(base / MB).toFixed(0)} MB after warm-up, peak ${(peak / MB).toFixed(0)} MB, end ${(last / MB).toFixed(0)} MB`);
    assert.ok(thrown >= 2000, `only ${thrown} requests in the time budget`);
    assert.ok(peak - base < 64 * MB, `RSS grew by ${((peak - base) / MB).toFixed(0)} MB after warm-up`);
  });

  test('malformed HTTP over a raw socket gets a 4xx or a closed connection, never a 5xx', async (t) => {
    const { port } = new URL(server.url);
    const raw = (payload: string | Buffer) =>
      new Promise<string>((resolve) => {
        const socket = net.connect(Number(port), '127.0.0.1');
        let got = '';
        socket.on('data', (d) => (got += d.toString('latin1')));
        socket.on('error', () => resolve(got));
        socket.on('close', () => resolve(got));
        socket.setTimeout(5000, () => socket.destroy());
        socket.end(payload);
      });
    const body = '{"mobile":"9876543210","name":"Asha Verma"}';
    const cases: [string, string | Buffer][] = [
      ['garbage request line', 'HELLO THERE\r\n\r\n'],
      ['unknown method', 'BREW /v1/sessions HTTP/1.1\r\nHost: x\r\n\r\n'],
      ['header without colon', 'GET /healthz HTTP/1.1\r\nHost: x\r\nNoColonHere\r\n\r\n'],
      ['64 KB of headers', `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\n\r\n`],
      ['bad chunked encoding', 'POST /v1/sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n{}\r\n0\r\n\r\n'],
      ['content-length and chunked (smuggling)', `POST /v1/sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /metrics HTTP/1.1\r\nHost: x\r\n\r\n`],
      ['two content-lengths', `POST /v1/sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 40\r\n\r\n{}`],
      ['body shorter than content-length', `POST /v1/sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n${body}`],
      ['NUL in the path', Buffer.from('GET /v1/sessions/\u0000 HTTP/1.1\r\nHost: x\r\n\r\n', 'latin1')],
      ['invalid UTF-8 in JSON', Buffer.concat([Buffer.from('POST /v1/sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 12\r\nConnection: close\r\n\r\n'), Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d, 0x0a])])],
    ];
    const seen: string[] = [];
    for (const [name, payload] of cases) {
      const answer = await raw(payload);
      const status = /^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1];
      seen.push(`${name}: ${status ?? 'closed'}`);
      if (status) assert.ok(Number(status) < 500, `${name}: ${answer.slice(0, 200)}`);
      assert.ok(!/\n\r?\n[\s\S]*HTTP\/1\.1 200[\s\S]*kycvs_/.test(answer), `${name}: a smuggled request was answered`);
    }
    t.diagnostic(`figure: raw malformed requests → ${seen.join('; ')}`);
  });

  test('afterwards: the process is alive, healthy, logged no unhandled error, and a full verification works', async () => {
    let exited = false;
    void server.exited.then(() => (exited = true));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(exited, false, 'the server process is still running');
    assert.equal((await server.api('GET', '/healthz')).status, 200);
    const textsBefore = (await texts(DEMO.asha.mobile)).length;
    const id = (await server.api('POST', '/v1/sessions', { apiKey: DEMO.hotel.apiKey, json: { mobile: DEMO.asha.mobile, name: DEMO.asha.name } })).body.session_id;
    const otp = await newestOtp(DEMO.asha.mobile, textsBefore);
    const verified = await server.api('POST', `/v1/sessions/${id}/otp/verify`, { apiKey: DEMO.hotel.apiKey, json: { otp, consent: true } });
    assert.equal(verified.status, 200, verified.text);
    assert.equal(typeof verified.body.token, 'string');
    const errors = server.stdout.filter((l) => l.startsWith('{') && JSON.parse(l).level >= 50);
    assert.deepEqual(errors, [], 'error-level log lines');
    assert.deepEqual(server.stderr, [], 'nothing on stderr');
  });
});
