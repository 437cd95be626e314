// Graceful shutdown: SIGTERM while requests are in flight. The service stops taking new
// connections, lets every request it has started finish with its normal answer, sends the texts
// it owes, closes the database (checkpointing the WAL) and exits 0. In-flight requests are made
// deterministic with slow uploads: the headers and half the body go out before the signal, the
// rest after the service has stopped listening.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { DATABASE_FILE } from '../server/services.ts';
import { type ChildServer, spawnServer } from '../test-support/child-server.ts';
import { FakeSmsGateway } from '../test-support/fake-sms-gateway.ts';
import { DEMO, decodeJws, waitFor } from '../test-support/harness.ts';

const gateway = new FakeSmsGateway();
const gatewayUrl = await gateway.start();
let server: ChildServer | null = null;
after(async () => {
  await server?.cleanup();
  await gateway.close();
});

interface Answer {
  status: number;
  body: any;
  connection: string | undefined;
}

interface SlowRequest {
  /** Sends the rest of the body; resolves with the answer. */
  finish(): Promise<Answer>;
}

/** Opens a POST, sends its headers and the first half of its JSON body, and waits. */
async function slowPost(base: string, urlPath: string, json: unknown, opts: { apiKey?: string; agent: http.Agent | false }): Promise<SlowRequest> {
  const body = Buffer.from(JSON.stringify(json));
  const half = Math.floor(body.length / 2);
  const url = new URL(urlPath, base);
  const req = http.request({
    host: url.hostname,
    port: url.port,
    path: url.pathname,
    method: 'POST',
    agent: opts.agent,
    headers: {
      'content-type': 'application/json',
      'content-length': String(body.length),
      ...(opts.apiKey ? { authorization: `Bearer ${opts.apiKey}` } : {}),
    },
  });
  const answer = new Promise<Answer>((resolve, reject) => {
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined, connection: res.headers.connection }));
    });
    req.on('error', reject);
  });
  req.flushHeaders();
  await new Promise<void>((resolve) => req.write(body.subarray(0, half), () => resolve()));
  return {
    finish() {
      req.end(body.subarray(half));
      return answer;
    },
  };
}

/**
 * Waits until the service has received the headers of `n` requests it has not answered. A write
 * callback on the client only means the kernel took the bytes: signalling before the service has
 * read them would test a connection it never saw as busy (and may rightly close as idle).
 */
async function waitForInFlight(s: ChildServer, n: number): Promise<void> {
  await waitFor(
    async () => {
      const text = (await s.api('GET', '/metrics')).text;
      const seen = Number(/^kycvs_http_requests_in_flight (\d+)$/m.exec(text)?.[1] ?? 'NaN');
      return seen - 1 === n; // the scrape itself is in flight too
    },
    { what: `the service to be reading ${n} request(s)` },
  );
}

function refusesConnections(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), hostname);
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

test('SIGTERM with requests in flight: each completes normally, pending texts go out, the WAL is checkpointed, exit 0', async (t) => {
  server = await spawnServer({ env: { KYCVS_SMS_GATEWAY_URL: gatewayUrl, KYCVS_SMS_GATEWAY_TOKEN: 'gw', KYCVS_ISSUER: 'http://kycvs.test' } });
  const s = server;
  // A session waiting for its code (server-to-server), and a widget session waiting for the citizen's decision.
  const pending = await s.api('POST', '/v1/sessions', { apiKey: DEMO.hotel.apiKey, json: { purpose: 'shutdown-a', mobile: DEMO.arjun.mobile, name: DEMO.arjun.name } });
  assert.equal(pending.status, 201, pending.text);
  const otpA = await gateway.otp((m) => m.text.includes('(shutdown-a)'));
  const widget = await s.api('POST', '/v1/sessions', { json: { client_id: DEMO.hotel.id, origin: DEMO.origin } });
  assert.equal((await s.api('POST', `/v1/sessions/${widget.body.session_id}/otp`, { json: { mobile: DEMO.asha.mobile, name: DEMO.asha.name } })).status, 202);
  const otpB = await gateway.otp((m) => m.to === `+91${DEMO.asha.mobile}`);
  const ticket = (await s.api('POST', `/v1/sessions/${widget.body.session_id}/otp/verify`, { json: { otp: otpB } })).body.consent_ticket;
  assert.equal(typeof ticket, 'string');

  // In flight when the signal comes: over a keep-alive agent (as browsers and fetch do) and without one.
  const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 8 });
  const inFlight = [
    await slowPost(s.url, `/v1/sessions/${pending.body.session_id}/otp/verify`, { otp: otpA, consent: true }, { apiKey: DEMO.hotel.apiKey, agent: keepAlive }),
    await slowPost(s.url, `/v1/sessions/${widget.body.session_id}/consent`, { decision: 'allow', consent_ticket: ticket }, { agent: false }),
    await slowPost(s.url, '/v1/sessions', { purpose: 'shutdown-c', mobile: DEMO.meera.mobile, name: DEMO.meera.name }, { apiKey: DEMO.railway.apiKey, agent: keepAlive }),
  ];
  // An idle keep-alive connection must not hold the shutdown up either.
  assert.equal((await s.api('GET', '/healthz')).status, 200);
  await waitForInFlight(s, inFlight.length);

  // The gateway holds its answers, so the text the last request triggers is still pending when the requests are done.
  let release!: () => void;
  gateway.hold = new Promise<void>((resolve) => (release = resolve));

  const signalled = Date.now();
  process.kill(s.pid, 'SIGTERM');
  await waitFor(() => refusesConnections(s.url), { what: 'the server to stop listening' });
  let exit: { code: number | null; signal: string | null } | null = null;
  void s.exited.then((e) => (exit = e));

  const [verified, consented, created] = (await Promise.all(inFlight.map((r) => r.finish()))) as [Answer, Answer, Answer];
  assert.equal(verified.status, 200, JSON.stringify(verified.body));
  assert.equal(typeof verified.body.token, 'string');
  assert.equal(consented.status, 200, JSON.stringify(consented.body));
  assert.equal(typeof consented.body.token, 'string');
  assert.equal(created.status, 201, JSON.stringify(created.body));
  assert.equal(created.body.otp.expires_in > 0, true);

  // The service may not exit while it still owes the gateway a text: it waits for it (the point is
  // a duration, so this one wait is deliberate and short).
  await waitFor(() => gateway.containing('(shutdown-c)').length === 1, { what: 'the pending text to reach the gateway' });
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.equal(exit, null, 'the process waited for the pending SMS');
  release();
  gateway.hold = null;
  const { code, signal } = await s.exited;
  const seconds = (Date.now() - signalled) / 1000;
  keepAlive.destroy();
  t.diagnostic(`figure: SIGTERM with 3 requests in flight and 1 SMS pending → 3 normal answers, exit ${code} after ${seconds.toFixed(2)} s`);
  assert.equal(code, 0);
  assert.equal(signal, null);
  assert.ok(seconds < 10, `shutdown took ${seconds} s`);
  assert.ok(s.stdout.some((l) => l.includes('shutting down')), 'the shutdown was logged');

  // Closed cleanly: the last connection checkpointed the WAL into the main file and removed it.
  const wal = path.join(s.dataDir, `${DATABASE_FILE}-wal`);
  assert.ok(!fs.existsSync(wal) || fs.statSync(wal).size === 0, 'the WAL is checkpointed');
  const db = new Database(path.join(s.dataDir, DATABASE_FILE), { readonly: true });
  try {
    assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
    const state = (id: string) => db.prepare('SELECT state, token_jti FROM sessions WHERE id = ?').get(id) as { state: string; token_jti: string };
    assert.deepEqual(state(pending.body.session_id), { state: 'completed', token_jti: decodeJws(verified.body.token).payload.jti });
    assert.deepEqual(state(widget.body.session_id), { state: 'completed', token_jti: decodeJws(consented.body.token).payload.jti });
    assert.equal(state(created.body.session_id).state, 'otp_sent');
    const audits = db.prepare('SELECT count(*) AS n FROM audit_events').get() as { n: number };
    assert.equal(audits.n, 2);
  } finally {
    db.close();
  }
});

test('SIGTERM with a request in flight on a keep-alive connection the client keeps using: its answer says Connection: close, no later request is served, exit within 2 s', async (t) => {
  const s = (server = await spawnServer({ env: { LOG_LEVEL: 'warn' } }));
  const { hostname, port } = new URL(s.url);
  // One keep-alive connection, reused for every request, as a load balancer or a browser would.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const get = () =>
    new Promise<{ status: number; connection: string | undefined }>((resolve, reject) => {
      const req = http.get({ host: hostname, port, path: '/healthz', agent }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection }));
      });
      req.on('error', reject);
    });
  assert.equal((await get()).status, 200);
  // A request is in flight on that connection when the signal comes.
  const inFlight = await slowPost(s.url, '/v1/sessions', { purpose: 'keep-alive' }, { apiKey: DEMO.railway.apiKey, agent });
  await waitForInFlight(s, 1);
  let exited = false;
  void s.exited.then(() => (exited = true));
  const signalled = Date.now();
  process.kill(s.pid, 'SIGTERM');
  await waitFor(() => refusesConnections(s.url), { what: 'the server to stop listening' });
  const first = await inFlight.finish();
  assert.equal(first.status, 201, JSON.stringify(first.body));
  // The client keeps going for at most 6 s (every 50 ms), until its requests stop being answered.
  const afterSignal: { status: number; connection: string | undefined }[] = [{ status: first.status, connection: first.connection }];
  const deadline = Date.now() + 6_000;
  while (!exited && Date.now() < deadline) {
    try {
      afterSignal.push(await get());
    } catch {
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  agent.destroy();
  const { code } = await s.exited;
  const seconds = (Date.now() - signalled) / 1000;
  t.diagnostic(
    `figure: SIGTERM with a busy keep-alive client → the in-flight request answered ${first.status}, then ${afterSignal.length - 1} more requests served on the old connection ` +
      `(Connection header of the in-flight answer: ${first.connection ?? 'none'}), exit ${code} after ${seconds.toFixed(2)} s`,
  );
  assert.equal(code, 0);
  assert.equal(first.connection, 'close', 'the answer to the in-flight request closes its keep-alive connection');
  assert.equal(afterSignal.length, 1, 'no new request is served on an old connection after the signal');
  assert.ok(seconds < 2, `the process took ${seconds.toFixed(2)} s to exit: a busy keep-alive connection holds the shutdown up`);
});
