// The claim and its lease, on a real SQLite file with real HTTP: two dispatchers (two connections,
// as two processes on one data dir) never both send an event in normal operation; an event claimed
// by a dispatcher that died mid-attempt is sent by another once the lease runs out.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { Writable } from 'node:stream';
import { SqliteClientStore } from '../clients/clients.ts';
import { createLogger } from '../logger.ts';
import { SqliteSessionStore } from '../sessions/session-store.ts';
import { type Db, openDatabase } from '../store/database.ts';
import { WebhookReceiver, specVerify } from '../../test-support/webhook-receiver.ts';
import { waitFor } from '../../test-support/harness.ts';
import { WebhookDispatcher } from './dispatcher.ts';
import { SqliteWebhookEventStore } from './sqlite-event-store.ts';
import { ExpirySweeper } from './sweeper.ts';
import { WebhookOutbox } from './outbox.ts';
import { webhookSettingsFromEnv } from './settings.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kycvs-lease-'));
const file = path.join(dir, 'kycvs.sqlite');
const receiver = await new WebhookReceiver().start();
const opened: Db[] = [];
const dispatchers: WebhookDispatcher[] = [];
after(async () => {
  await Promise.all(dispatchers.map((d) => d.close()));
  for (const db of opened) db.close();
  await receiver.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const settings = { ...webhookSettingsFromEnv({ KYCVS_WEBHOOK_POLL_MS: '50', KYCVS_WEBHOOK_RETRY_BASE_MS: '50', KYCVS_WEBHOOK_TIMEOUT_MS: '2000' }) };
const quiet = createLogger('warn', new Writable({ write: (_c, _e, done) => done() }));
const API_KEY_KEY = Buffer.alloc(32, 3);

function connection(): { db: Db; clients: SqliteClientStore; outbox: WebhookOutbox; sessions: SqliteSessionStore } {
  const db = openDatabase(file);
  opened.push(db);
  const outbox = new WebhookOutbox(db, settings.retryForMs);
  return { db, clients: new SqliteClientStore(db, API_KEY_KEY), outbox, sessions: new SqliteSessionStore(db, outbox) };
}

function dispatcher(c: ReturnType<typeof connection>): WebhookDispatcher {
  const deps = { events: new SqliteWebhookEventStore(c.db), clients: c.clients, wakes: c.outbox, sweeper: new ExpirySweeper(c.db, c.outbox, settings.expiryGraceMs) };
  const d = new WebhookDispatcher(deps, settings, { demo: true }, quiet);
  dispatchers.push(d);
  return d;
}

const a = connection();
await a.clients.create({ id: 'lease-test', name: 'Lease Verifier', purpose: 'Testing webhooks', allowedOrigins: [] });
const secret = (await a.clients.setWebhook('lease-test', receiver.url(), { demo: true }))!;
let n = 0;

/** A session ended as denied, its event queued in the same transaction (through the session store). */
async function deniedSession(c: ReturnType<typeof connection>): Promise<string> {
  const id = `ses_lease_${n++}`;
  const now = Date.now();
  await c.sessions.create({ id, clientId: 'lease-test', mode: 'server', origin: null, purpose: 'Testing webhooks', nonce: null, createdAt: now, expiresAt: now + 600_000 });
  c.db.prepare(`UPDATE sessions SET state = 'verified' WHERE id = ?`).run(id);
  const ok = await c.sessions.deny(id, { at: now, clientId: 'lease-test', sessionId: id, purpose: 'Testing webhooks', event: 'deny', vaccinationStatus: null, subject: null, tokenJti: null });
  assert.ok(ok);
  return id;
}

test('two dispatchers on one database file: 60 events, each sent exactly once', async () => {
  const b = connection();
  dispatcher(a).start();
  dispatcher(b).start();
  const sessions: string[] = [];
  for (let i = 0; i < 60; i++) sessions.push(await deniedSession(i % 2 === 0 ? a : b));
  await waitFor(() => receiver.events().length === 60, { timeoutMs: 15_000, what: '60 events' });
  await new Promise((resolve) => setTimeout(resolve, 300));
  const duplicates = receiver.requests.length - receiver.events().length;
  assert.equal(duplicates, 0, 'no event sent twice');
  assert.deepEqual(receiver.events().map((e) => e.payload.data.session_id).sort(), [...sessions].sort());
  assert.ok(receiver.requests.every((r) => specVerify(secret, r)));
  const attempts = a.db.prepare('SELECT COUNT(*) AS n FROM webhook_attempts').get() as { n: number };
  assert.equal(attempts.n, 60);
  console.log(`figure: webhooks, two dispatchers on one SQLite file: 60 events, ${receiver.requests.length} deliveries, ${duplicates} duplicates`);
  await Promise.all(dispatchers.splice(0).map((d) => d.close()));
});

test('an event claimed by a dispatcher that died mid-attempt is sent by another when the lease runs out', async () => {
  const before = receiver.requests.length;
  const c = connection();
  const id = await deniedSession(c);
  // The "dead" process: claims the event with a 400 ms lease and never records an attempt.
  const [claimed] = await new SqliteWebhookEventStore(c.db).claimDue(Date.now(), 10, 400);
  assert.equal(claimed?.sessionId, id);
  const claimedAt = Date.now();
  dispatcher(connection()).start();
  await waitFor(() => receiver.requests.length > before, { timeoutMs: 5000, what: 'the event sent after the lease' });
  const waited = receiver.requests.at(-1)!.at - claimedAt;
  assert.ok(waited >= 390, `not before the lease ran out (${waited} ms)`);
  const row = c.db.prepare('SELECT state, attempts FROM webhook_events WHERE session_id = ?').get(id) as { state: string; attempts: number };
  await waitFor(() => (c.db.prepare('SELECT state FROM webhook_events WHERE session_id = ?').get(id) as { state: string }).state === 'delivered');
  assert.equal(row.attempts, 2, 'the lost attempt counts');
  console.log(`figure: webhook event of a dispatcher that died mid-attempt sent ${waited} ms after its claim (lease 400 ms)`);
});
