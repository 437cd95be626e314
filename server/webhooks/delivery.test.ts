// Signed webhooks end to end, in process: the real service (HTTP, SQLite file, dispatcher) and real
// receivers on 127.0.0.1. Each test registers its own verifier with its own webhook, drives sessions
// over the API and checks what arrives: the four event types and their bodies, the signature (by an
// implementation of the specification written in test-support, not the service's), retries on 500
// and on a late answer with back-off, no redirect followed, giving up, and the secret and token
// never logged. Back-off and timeouts are shortened by the documented variables.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import path from 'node:path';
import {
  type Person,
  type TestServer,
  addBeneficiary,
  decodeJws,
  letters,
  outbox,
  OTP_IN_TEXT,
  startTestServer,
  waitFor,
  wrongOtp,
} from '../../test-support/harness.ts';
import { WebhookReceiver, specVerify } from '../../test-support/webhook-receiver.ts';
import { DATABASE_FILE } from '../services.ts';

const FAST = {
  KYCVS_WEBHOOK_RETRY_BASE_MS: '200',
  KYCVS_WEBHOOK_RETRY_MAX_MS: '1000',
  KYCVS_WEBHOOK_RETRY_FOR: '4',
  KYCVS_WEBHOOK_TIMEOUT_MS: '600',
  KYCVS_WEBHOOK_CONNECT_TIMEOUT_MS: '300',
  KYCVS_WEBHOOK_POLL_MS: '200',
};
const server = await startTestServer({ env: FAST });
const receivers: WebhookReceiver[] = [];
after(async () => {
  await server.close();
  await Promise.all(receivers.map((r) => r.close()));
});

let nextClient = 0;
interface Verifier {
  id: string;
  apiKey: string;
  secret: string;
  receiver: WebhookReceiver;
}

async function verifierWithWebhook(on: TestServer = server, receiver?: WebhookReceiver): Promise<Verifier> {
  const id = `hook-${letters(nextClient++)}-${letters(process.pid % 1000)}`;
  const { apiKey } = await on.services.clients.create({ id, name: 'Hook Verifier', purpose: 'Testing webhooks', allowedOrigins: [] });
  const rx = receiver ?? (await new WebhookReceiver().start());
  if (!receiver) receivers.push(rx);
  const secret = (await on.services.clients.setWebhook(id, rx.url(), { demo: true }))!;
  return { id, apiKey, secret, receiver: rx };
}

/** A backend-made session for `person`; returns its id and the code the SMS carried. */
async function sessionWithCode(v: Verifier, person: Person, on: TestServer = server, nonce = `n-${letters(nextClient++)}`) {
  const res = await on.api('POST', '/v1/sessions', { apiKey: v.apiKey, json: { nonce, mobile: person.mobile, name: person.name } });
  assert.equal(res.status, 201, res.text);
  const [sms] = await outbox(on, person.mobile);
  const code = OTP_IN_TEXT.exec(sms!.text)![1]!;
  return { sessionId: res.body.session_id as string, code, nonce };
}

/** Server to server with consent: true → the token. */
async function completed(v: Verifier, person: Person, on: TestServer = server) {
  const { sessionId, code, nonce } = await sessionWithCode(v, person, on);
  const res = await on.api('POST', `/v1/sessions/${sessionId}/otp/verify`, { apiKey: v.apiKey, json: { otp: code, consent: true } });
  assert.equal(res.status, 200, res.text);
  return { sessionId, nonce, token: res.body.token as string, answeredAt: Date.now() };
}

const waitForRequests = (rx: WebhookReceiver, n: number, timeoutMs = 10_000) =>
  waitFor(() => rx.requests.length >= n, { timeoutMs, what: `${n} webhook request(s)` });

function attemptsOf(eventId: string): { attempt: number; status_code: number | null; error: string | null; duration_ms: number }[] {
  return server.services.db!.prepare('SELECT attempt, status_code, error, duration_ms FROM webhook_attempts WHERE event_id = ? ORDER BY id').all(eventId) as never;
}
const eventRow = (id: string) => server.services.db!.prepare('SELECT * FROM webhook_events WHERE id = ?').get(id) as Record<string, any>;

describe('events and their bodies', () => {
  test('session.completed: POSTed at once, signed per the specification, the token and nothing else about the person', async () => {
    const v = await verifierWithWebhook();
    const person = await addBeneficiary(server);
    const flow = await completed(v, person);
    await waitForRequests(v.receiver, 1);
    const [request] = v.receiver.requests;
    const latency = request!.at - flow.answeredAt;
    assert.equal(request!.method, 'POST');
    assert.equal(request!.headers['content-type'], 'application/json');
    assert.match(String(request!.headers['webhook-id']), /^msg_[A-Za-z0-9_-]{22}$/);
    assert.ok(Math.abs(Number(request!.headers['webhook-timestamp']) - Date.now() / 1000) < 5);
    assert.match(String(request!.headers['webhook-signature']), /^v1,[A-Za-z0-9+/]{43}=$/);
    assert.ok(specVerify(v.secret, request!), 'the signature verifies with the printed secret');
    assert.ok(!specVerify(`whsec_${Buffer.alloc(32, 1).toString('base64')}`, request!), 'and not with another');
    const payload = JSON.parse(request!.body.toString('utf8'));
    assert.deepEqual(Object.keys(payload), ['type', 'timestamp', 'data']);
    assert.equal(payload.type, 'session.completed');
    assert.match(payload.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.deepEqual(payload.data, { session_id: flow.sessionId, client_id: v.id, nonce: flow.nonce, token: flow.token });
    assert.equal(decodeJws(payload.data.token).payload.aud, v.id);
    const text = request!.body.toString('utf8');
    assert.doesNotMatch(text, /vaccination_status|mobile|name/, 'no status beside the token, nothing of the person');
    assert.ok(!text.includes(person.mobile) && !text.includes(person.name));
    const row = eventRow(String(request!.headers['webhook-id']));
    await waitFor(() => eventRow(row.id).state === 'delivered', { what: 'the event marked delivered' });
    console.log(`figure: webhook session.completed received ${latency} ms after the API answered the decision`);
    assert.ok(latency < 1000, `delivered off the request path but at once (${latency} ms)`);
  });

  test('session.denied: the citizen refused (no token in the event)', async () => {
    const v = await verifierWithWebhook();
    const { sessionId, code, nonce } = await sessionWithCode(v, await addBeneficiary(server));
    const verified = await server.api('POST', `/v1/sessions/${sessionId}/otp/verify`, { apiKey: v.apiKey, json: { otp: code } });
    assert.equal(verified.status, 200, verified.text);
    const denied = await server.api('POST', `/v1/sessions/${sessionId}/consent`, { json: { decision: 'deny', consent_ticket: verified.body.consent_ticket } });
    assert.equal(denied.status, 200, denied.text);
    await waitForRequests(v.receiver, 1);
    const [event] = v.receiver.events();
    assert.deepEqual(event!.payload.data, { session_id: sessionId, client_id: v.id, nonce });
    assert.equal(event!.payload.type, 'session.denied');
    assert.ok(specVerify(v.secret, v.receiver.requests[0]!));
  });

  test('session.failed: the session locked by wrong codes, reason otp_locked', async () => {
    const v = await verifierWithWebhook();
    const { sessionId, code } = await sessionWithCode(v, await addBeneficiary(server));
    let last;
    for (let i = 0; i < server.config.limits.maxWrongOtpPerSession; i++) {
      last = await server.api('POST', `/v1/sessions/${sessionId}/otp/verify`, { apiKey: v.apiKey, json: { otp: wrongOtp(code) } });
    }
    assert.equal(last!.status, 429, last!.text);
    await waitForRequests(v.receiver, 1);
    const [event] = v.receiver.events();
    assert.equal(event!.payload.type, 'session.failed');
    assert.equal(event!.payload.data.reason, 'otp_locked');
    assert.equal(event!.payload.data.session_id, sessionId);
    assert.equal(v.receiver.events().length, 1, 'one event per session');
  });

  test('a client without a webhook gets no outbox rows', async () => {
    const { apiKey } = await server.services.clients.create({ id: `plain-${letters(nextClient++)}`, name: 'Plain Verifier', purpose: 'Testing webhooks', allowedOrigins: [] });
    const person = await addBeneficiary(server);
    const res = await server.api('POST', '/v1/sessions', { apiKey, json: { mobile: person.mobile, name: person.name } });
    const [sms] = await outbox(server, person.mobile);
    const ok = await server.api('POST', `/v1/sessions/${res.body.session_id}/otp/verify`, { apiKey, json: { otp: OTP_IN_TEXT.exec(sms!.text)![1], consent: true } });
    assert.equal(ok.status, 200);
    const count = server.services.db!.prepare('SELECT COUNT(*) AS n FROM webhook_events WHERE session_id = ?').get(res.body.session_id) as { n: number };
    assert.equal(count.n, 0);
  });
});

describe('retries', () => {
  test('500, 500, then 204: three attempts of one event (same id, fresh signature each), back-off growing', async () => {
    const v = await verifierWithWebhook();
    v.receiver.reply = (_r, n) => ({ status: n < 2 ? 500 : 204 });
    await completed(v, await addBeneficiary(server));
    await waitForRequests(v.receiver, 3);
    const [a, b, c] = v.receiver.requests;
    const id = String(a!.headers['webhook-id']);
    assert.deepEqual([b, c].map((r) => r!.headers['webhook-id']), [id, id], 'the same webhook-id across retries');
    for (const r of [a, b, c]) assert.ok(specVerify(v.secret, r!), 'each attempt is signed for its own timestamp');
    assert.deepEqual([b, c].map((r) => r!.body.toString()), [a!.body.toString(), a!.body.toString()], 'the same body');
    const gaps = [b!.at - a!.at, c!.at - b!.at];
    // Waits drawn from [d/2, d] with d = 200 ms, then 400 ms.
    assert.ok(gaps[0]! >= 100 && gaps[0]! < 1000, `first retry after ${gaps[0]} ms`);
    assert.ok(gaps[1]! >= 200 && gaps[1]! < 1500, `second retry after ${gaps[1]} ms`);
    await waitFor(() => eventRow(id).state === 'delivered', { what: 'delivered' });
    assert.deepEqual(attemptsOf(id).map((x) => [x.attempt, x.status_code, x.error]), [[1, 500, 'HTTP 500'], [2, 500, 'HTTP 500'], [3, 204, null]]);
    console.log(`figure: webhook retries on 500 after ${gaps[0]} ms and ${gaps[1]} ms (base 200 ms, doubling, jitter [d/2, d])`);
  });

  test('a receiver answering later than the timeout: the attempt is cut and retried', async () => {
    const v = await verifierWithWebhook();
    v.receiver.reply = (_r, n) => ({ status: 204, delayMs: n === 0 ? 2000 : 0 });
    const started = Date.now();
    await completed(v, await addBeneficiary(server));
    await waitForRequests(v.receiver, 2);
    const id = String(v.receiver.requests[0]!.headers['webhook-id']);
    await waitFor(() => eventRow(id).state === 'delivered', { what: 'delivered' });
    const attempts = attemptsOf(id);
    assert.deepEqual(attempts.map((x) => [x.status_code, x.error]), [[null, 'timeout'], [204, null]]);
    assert.ok(attempts[0]!.duration_ms >= 550 && attempts[0]!.duration_ms < 1500, `cut at ${attempts[0]!.duration_ms} ms (timeout 600)`);
    console.log(`figure: webhook attempt cut after ${attempts[0]!.duration_ms} ms (KYCVS_WEBHOOK_TIMEOUT_MS=600), delivered ${Date.now() - started} ms after the flow began`);
  });

  test('a redirect is not followed: the attempt fails, the other URL hears nothing', async () => {
    const elsewhere = await new WebhookReceiver().start();
    receivers.push(elsewhere);
    const v = await verifierWithWebhook();
    v.receiver.reply = (_r, n) => (n === 0 ? { status: 307, headers: { location: elsewhere.url('/stolen') } } : { status: 204 });
    await completed(v, await addBeneficiary(server));
    await waitForRequests(v.receiver, 2);
    const id = String(v.receiver.requests[0]!.headers['webhook-id']);
    await waitFor(() => eventRow(id).state === 'delivered', { what: 'delivered' });
    assert.deepEqual(attemptsOf(id).map((x) => x.error), ['redirect not followed', null]);
    assert.equal(elsewhere.requests.length, 0);
    assert.equal(elsewhere.connections, 0);
  });

  test('always failing: retried until the deadline (KYCVS_WEBHOOK_RETRY_FOR), then failed; 410 Gone ends it at once', async () => {
    const v = await verifierWithWebhook();
    v.receiver.reply = () => ({ status: 503 });
    const flow = await completed(v, await addBeneficiary(server));
    const id = () => String(v.receiver.requests[0]!.headers['webhook-id']);
    await waitForRequests(v.receiver, 1);
    await waitFor(() => eventRow(id()).state === 'failed', { timeoutMs: 10_000, what: 'the event given up' });
    const row = eventRow(id());
    const attempts = attemptsOf(id());
    assert.ok(attempts.length >= 4, `${attempts.length} attempts`);
    assert.ok(row.finished_at - flow.answeredAt >= 3500, 'retried for the whole window (4 s)');
    assert.equal(row.last_result, 'HTTP 503');
    console.log(`figure: webhook always 503: ${attempts.length} attempts over ${row.finished_at - row.created_at} ms, then failed (RETRY_FOR=4 s)`);

    const gone = await verifierWithWebhook();
    gone.receiver.reply = () => ({ status: 410 });
    await completed(gone, await addBeneficiary(server));
    await waitForRequests(gone.receiver, 1);
    const goneId = String(gone.receiver.requests[0]!.headers['webhook-id']);
    await waitFor(() => eventRow(goneId).state === 'failed', { what: '410 ends it' });
    assert.equal(attemptsOf(goneId).length, 1);
  });
});

describe('secrets and logs', () => {
  test('a new secret: the previous one signs too for a day (two signatures); the database holds neither in clear', async () => {
    const v = await verifierWithWebhook();
    const second = (await server.services.clients.setWebhook(v.id, v.receiver.url(), { demo: true }))!;
    assert.notEqual(second, v.secret);
    await completed(v, await addBeneficiary(server));
    await waitForRequests(v.receiver, 1);
    const request = v.receiver.requests[0]!;
    assert.equal(String(request.headers['webhook-signature']).split(' ').length, 2);
    assert.ok(specVerify(second, request) && specVerify(v.secret, request), 'either secret verifies');
    const db = new Database(path.join(server.dataDir, DATABASE_FILE), { readonly: true });
    try {
      const row = db.prepare('SELECT webhook_secret, webhook_previous_secret FROM clients WHERE id = ?').get(v.id) as { webhook_secret: Buffer; webhook_previous_secret: Buffer };
      for (const s of [second, v.secret]) {
        const bytes = Buffer.from(s.slice('whsec_'.length), 'base64');
        assert.ok(!row.webhook_secret.includes(bytes) && !row.webhook_previous_secret.includes(bytes), 'sealed, not stored as is');
      }
    } finally {
      db.close();
    }
    await server.services.clients.setWebhook(v.id, null, { demo: true });
    assert.equal(await server.services.clients.webhookTarget(v.id), null);
  });

  test('the logs name each attempt (event, status or error, duration) and never carry a secret, a token or a URL path', async () => {
    const v = await verifierWithWebhook();
    v.receiver.reply = (_r, n) => ({ status: n === 0 ? 500 : 200 });
    const flow = await completed(v, await addBeneficiary(server));
    await waitForRequests(v.receiver, 2);
    const id = String(v.receiver.requests[0]!.headers['webhook-id']);
    await waitFor(() => server.logs.some((l) => l.includes(id) && l.includes('webhook delivered')), { what: 'the delivery logged' });
    const mine = server.logs.filter((l) => l.includes(id)).map((l) => JSON.parse(l));
    assert.deepEqual(mine.map((l) => [l.msg, l.attempt, l.status]), [['webhook attempt failed', 1, 500], ['webhook delivered', 2, 200]]);
    assert.ok(mine.every((l) => typeof l.ms === 'number'));
    const all = server.logs.join('\n');
    assert.ok(!all.includes(flow.token), 'no token in the logs');
    assert.ok(!all.includes(v.secret) && !all.includes(v.secret.slice(6)), 'no secret in the logs');
    assert.ok(!all.includes('/hook'), 'no webhook URL path in the logs');
  });
});

describe('expiry', () => {
  test('a session that runs out without a decision: session.expired from the sweeper, and it can no longer complete', async () => {
    const short = await startTestServer({ env: { ...FAST }, configure: (c) => (c.sessionTtlSeconds = 1) });
    try {
      const v = await verifierWithWebhook(short);
      const person = await addBeneficiary(short);
      const { sessionId, code, nonce } = await sessionWithCode(v, person, short);
      const before = Date.now();
      await waitForRequests(v.receiver, 1, 8000);
      const [event] = v.receiver.events();
      assert.equal(event!.payload.type, 'session.expired');
      assert.deepEqual(event!.payload.data, { session_id: sessionId, client_id: v.id, nonce });
      assert.ok(specVerify(v.secret, v.receiver.requests[0]!));
      const row = short.services.db!.prepare('SELECT state, expires_at FROM sessions WHERE id = ?').get(sessionId) as { state: string; expires_at: number };
      assert.equal(row.state, 'expired');
      assert.equal(event!.payload.timestamp, new Date(row.expires_at).toISOString(), 'timestamp: when it expired');
      const late = await short.api('POST', `/v1/sessions/${sessionId}/otp/verify`, { apiKey: v.apiKey, json: { otp: code, consent: true } });
      assert.equal(late.status, 410, late.text);
      const view = await short.api('GET', `/v1/sessions/${sessionId}`, { apiKey: v.apiKey });
      assert.equal(view.body.state, 'expired');
      console.log(`figure: session.expired received ${event!.at - row.expires_at} ms after expires_at (grace 2 s, poll 200 ms); ${Date.now() - before} ms after the code was sent`);
      // The sweep reads only the index's newest slice.
      const plan = short.services.db!
        .prepare(
          `EXPLAIN QUERY PLAN SELECT s.id, s.expires_at FROM sessions s JOIN clients c ON c.id = s.client_id
           WHERE s.expires_at >= 1 AND s.expires_at <= 2 AND s.state IN ('created', 'otp_sent', 'verified') AND c.webhook_url IS NOT NULL
           ORDER BY s.expires_at LIMIT 500`,
        )
        .all() as { detail: string }[];
      assert.ok(plan.some((p) => /sessions_by_expiry/.test(p.detail)), JSON.stringify(plan));
    } finally {
      await short.close();
    }
  });
});
