// Dispatchers as separate service processes share one outbox, on the SQLite file and on PostgreSQL,
// delivering over real HTTP to a receiver on 127.0.0.1: three dispatchers on three connections
// (pools) racing over 50 due events deliver each exactly once; an event claimed by a dispatcher that
// "crashed" mid-attempt is delivered by another once the lease ran out, and only then.
// The clients (webhook URL, signing secret) come from a SQLite client store in both cases: the
// dispatcher reads only `webhookTarget`, and the client stores have their own contract tests.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { SqliteClientStore } from '../clients/clients.ts';
import { createLogger } from '../logger.ts';
import { openDatabase } from '../store/database.ts';
import { WebhookReceiver, specVerify } from '../../test-support/webhook-receiver.ts';
import { type EventStoreBackend, postgresBackend, sqliteBackend } from './contract-backends.ts';
import { WebhookDispatcher } from './dispatcher.ts';
import { newWebhookEventRow } from './outbox.ts';
import { webhookSettingsFromEnv } from './settings.ts';

const settings = webhookSettingsFromEnv({
  KYCVS_WEBHOOK_POLL_MS: '50',
  KYCVS_WEBHOOK_RETRY_BASE_MS: '50',
  KYCVS_WEBHOOK_TIMEOUT_MS: '2000',
  KYCVS_WEBHOOK_CONCURRENCY: '4',
});
const quiet = createLogger('warn', new Writable({ write: (_c, _e, done) => done() }));

const clientsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kycvs-dispatch-clients-'));
const clientsDb = openDatabase(path.join(clientsDir, 'kycvs.sqlite'));
const clients = new SqliteClientStore(clientsDb, Buffer.alloc(32, 5));
const receiver = await new WebhookReceiver().start();
await clients.create({ id: 'racing', name: 'Racing Verifier', purpose: 'Testing webhooks', allowedOrigins: [] });
const secret = (await clients.setWebhook('racing', receiver.url(), { demo: true }))!;
after(async () => {
  await receiver.close();
  clientsDb.close();
  fs.rmSync(clientsDir, { recursive: true, force: true });
});

/** Cross-process delivery relies on polling: no wake-ups from an outbox in these processes. */
const noWakes = { onWake: () => () => {} };
/** Nothing expires here: the sweepers have their own tests. */
const noSweep = { sweep: async () => 0 };

let n = 0;

/** Polls `check` until it holds (the harness has one too, but importing it loads the whole service). */
async function waitFor(check: () => boolean | Promise<boolean>, { timeoutMs = 10_000, what = 'condition' } = {}): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

for (const make of [sqliteBackend, postgresBackend]) {
  describe(`dispatchers on ${make === sqliteBackend ? 'SQLite' : 'PostgreSQL'}`, () => {
    let backend: EventStoreBackend;
    const running: WebhookDispatcher[] = [];
    before(async () => {
      backend = await make();
    });
    after(async () => {
      await Promise.all(running.splice(0).map((d) => d.close()));
      await backend.close();
    });

    const dispatcher = () => {
      const d = new WebhookDispatcher({ events: backend.connect(), clients, wakes: noWakes, sweeper: noSweep }, settings, { demo: true }, quiet);
      running.push(d);
      return d;
    };
    async function dueEvent(at = Date.now()) {
      const row = newWebhookEventRow('session.denied', { sessionId: `ses_race_${n++}`, clientId: 'racing', nonce: `nonce-${n}` }, at, 3_600_000);
      await backend.insert(row);
      return row;
    }

    test('3 dispatchers on 3 connections, 50 due events: each delivered exactly once', async () => {
      const before = receiver.requests.length;
      const sessions: string[] = [];
      for (let i = 0; i < 50; i++) sessions.push((await dueEvent()).sessionId);
      const started = Date.now();
      const three = [dispatcher(), dispatcher(), dispatcher()];
      for (const d of three) d.start();
      const mine = () => receiver.requests.slice(before);
      await waitFor(() => new Set(mine().map((r) => r.headers['webhook-id'])).size === 50, { timeoutMs: 20_000, what: '50 events' });
      const took = Date.now() - started;
      await new Promise((resolve) => setTimeout(resolve, 300));
      await Promise.all(three.map((d) => d.idle()));
      const requests = mine();
      assert.equal(requests.length, 50, `no event sent twice (${requests.length} requests)`);
      const bodies = requests.map((r) => JSON.parse(r.body.toString('utf8')));
      assert.deepEqual(bodies.map((b) => b.data.session_id).sort(), [...sessions].sort());
      assert.ok(requests.every((r) => specVerify(secret, r)), 'every request signed');
      await waitFor(async () => (await backend.connect().list({ state: 'delivered', limit: 1000 })).length === 50, { what: 'all marked delivered' });
      assert.equal(await backend.countAttempts(), 50, 'one attempt each');
      console.log(`figure: webhooks on ${backend.name}, 3 dispatchers (concurrency 4 each): 50 events delivered once each in ${took} ms`);
      await Promise.all(running.splice(0).map((d) => d.close()));
    });

    test('an event claimed by a dispatcher that crashed mid-attempt is delivered by another once the lease ran out', async () => {
      const before = receiver.requests.length;
      const event = await dueEvent();
      // The "crashed" process: claims with a 400 ms lease and never records an attempt.
      const claimedAt = Date.now();
      const [claimed] = await backend.connect().claimDue(claimedAt, 10, 400);
      assert.equal(claimed?.id, event.id);
      dispatcher().start();
      await waitFor(() => receiver.requests.length > before, { timeoutMs: 5000, what: 'the event sent after the lease' });
      const waited = receiver.requests.at(-1)!.at - claimedAt;
      assert.ok(waited >= 400, `not before the lease ran out (${waited} ms)`);
      assert.equal(receiver.requests.at(-1)!.headers['webhook-id'], event.id);
      const store = backend.connect();
      await waitFor(async () => (await store.get(event.id))?.state === 'delivered', { what: 'delivered' });
      assert.equal((await store.get(event.id))!.attempts, 2, 'the lost attempt counts');
      assert.deepEqual((await store.attempts(event.id)).map((a) => [a.attempt, a.statusCode]), [[2, 204]]);
      // The crashed claimant's late report cannot reopen it.
      assert.equal(await store.recordAttempt(claimed!, { eventId: event.id, attempt: 1, at: Date.now(), durationMs: 1, statusCode: null, error: 'timeout' }, { kind: 'retry', at: Date.now() }, 'timeout'), false);
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(receiver.requests.length - before, 1, 'sent once');
      console.log(`figure: webhooks on ${backend.name}: event of a crashed claimant sent ${waited} ms after its claim (lease 400 ms)`);
    });
  });
}
