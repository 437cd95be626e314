// Bad luck, again: the service is SIGKILLed under a load of decisions while webhooks are being
// delivered (the receiver answers some attempts late, so kills land mid-attempt too), restarted on
// the same data dir, killed again. Every decision a client was told about — each token received,
// each refusal acknowledged — must reach the client's webhook as a signed event: the event is
// written in the decision's own transaction, and a restarted service delivers what the dead one
// had not (at least once). Duplicates are counted, not forbidden.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { DATABASE_FILE } from '../server/services.ts';
import { type ChildServer, isCutOffByKill, spawnServer } from '../test-support/child-server.ts';
import { FakeSmsGateway } from '../test-support/fake-sms-gateway.ts';
import { DEMO, OTP_IN_TEXT, letters, waitFor } from '../test-support/harness.ts';
import { WebhookReceiver, specVerify } from '../test-support/webhook-receiver.ts';

const KILLS = 4;
const WORKERS = 8;
const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url));

const gateway = new FakeSmsGateway();
const gatewayUrl = await gateway.start();
const receiver = await new WebhookReceiver().start();
// One attempt in four is answered 50-150 ms late: kills also land while attempts are in flight.
receiver.reply = () => ({ status: 204, delayMs: Math.random() < 0.25 ? 50 + Math.random() * 100 : 0 });
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kycvs-webhook-crash-'));
let current: ChildServer | null = null;
after(async () => {
  await current?.cleanup();
  await gateway.close();
  await receiver.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const CLIENTS = [
  { id: DEMO.railway.id, apiKey: DEMO.railway.apiKey, secret: '' },
  { id: DEMO.hotel.id, apiKey: DEMO.hotel.apiKey, secret: '' },
];
const PEOPLE = [DEMO.asha, DEMO.ravi, DEMO.meera, DEMO.arjun];

const start = () =>
  spawnServer({
    dataDir,
    env: {
      KYCVS_SMS_GATEWAY_URL: gatewayUrl,
      KYCVS_SMS_GATEWAY_TOKEN: 'gw',
      LOG_LEVEL: 'warn',
      KYCVS_WEBHOOK_POLL_MS: '100',
      KYCVS_WEBHOOK_RETRY_BASE_MS: '200',
      KYCVS_WEBHOOK_RETRY_MAX_MS: '1000',
      // An attempt cut by a kill holds its event for the lease: 2 × 1 s + 1 s.
      KYCVS_WEBHOOK_TIMEOUT_MS: '1000',
    },
  });

interface Acknowledged {
  sessionId: string;
  type: 'session.completed' | 'session.denied';
  clientId: string;
  token: string | null;
  ackAt: number;
}

async function load(server: ChildServer, round: number, acked: Acknowledged[], stats: { inFlight: number; flows: number }): Promise<void> {
  let dead = false;
  void server.exited.then(() => (dead = true));
  let seq = 0;
  const worker = async (w: number) => {
    while (!dead) {
      const n = seq++;
      const client = CLIENTS[n % 2]!;
      const person = PEOPLE[(n + w) % PEOPLE.length]!;
      const tag = `hook-${letters(round)}-${letters(w)}-${letters(n)}`;
      try {
        stats.inFlight++;
        const created = await server.api('POST', '/v1/sessions', { apiKey: client.apiKey, json: { purpose: tag, mobile: person.mobile, name: person.name } });
        if (created.status !== 201) throw new Error(`create ${created.status} ${created.text}`);
        const text = await waitFor(() => (dead ? 'dead' : gateway.messages.find((m) => m.text.includes(`(${tag})`))?.text), { timeoutMs: 15_000, what: `the SMS of ${tag}` });
        if (text === 'dead') break;
        const otp = OTP_IN_TEXT.exec(text)![1]!;
        const sessionId = created.body.session_id as string;
        // One flow in four is refused by the citizen (ticket, then deny); the others consent with the code.
        if (n % 4 === 3) {
          const verified = await server.api('POST', `/v1/sessions/${sessionId}/otp/verify`, { apiKey: client.apiKey, json: { otp } });
          if (verified.status !== 200) throw new Error(`verify ${verified.status} ${verified.text}`);
          const denied = await server.api('POST', `/v1/sessions/${sessionId}/consent`, { json: { decision: 'deny', consent_ticket: verified.body.consent_ticket } });
          if (denied.status !== 200) throw new Error(`deny ${denied.status} ${denied.text}`);
          acked.push({ sessionId, type: 'session.denied', clientId: client.id, token: null, ackAt: Date.now() });
        } else {
          const done = await server.api('POST', `/v1/sessions/${sessionId}/otp/verify`, { apiKey: client.apiKey, json: { otp, consent: true } });
          if (done.status !== 200) throw new Error(`verify ${done.status} ${done.text}`);
          acked.push({ sessionId, type: 'session.completed', clientId: client.id, token: done.body.token, ackAt: Date.now() });
        }
        stats.flows++;
      } catch (err) {
        if (!dead && !isCutOffByKill(err)) throw err;
        if (dead) break;
        await server.exited;
        break;
      } finally {
        stats.inFlight--;
      }
    }
  };
  await Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)));
}

/** The outbox as the dead process left it. */
function outboxAfterKill(): { pending: number; claimed: number; delivered: number } {
  const db = new Database(path.join(dataDir, DATABASE_FILE), { readonly: true });
  try {
    const row = db
      .prepare(
        `SELECT SUM(state = 'pending') AS pending, SUM(state = 'pending' AND claim IS NOT NULL) AS claimed, SUM(state = 'delivered') AS delivered FROM webhook_events`,
      )
      .get() as { pending: number | null; claimed: number | null; delivered: number | null };
    return { pending: row.pending ?? 0, claimed: row.claimed ?? 0, delivered: row.delivered ?? 0 };
  } finally {
    db.close();
  }
}

test(`SIGKILL ${KILLS} times while decisions are made and webhooks sent: every acknowledged decision's event arrives, signed`, async (t) => {
  // First start seeds the demo clients; the operator then gives both a webhook (demo mode: loopback http).
  current = await start();
  for (const client of CLIENTS) {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'server/cli/main.ts', 'clients', 'update', client.id, '--webhook', receiver.url(`/${client.id}`)], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? dataDir, KYCVS_DATA_DIR: dataDir, KYCVS_DEMO: '1' },
      encoding: 'utf8',
    });
    assert.equal(run.status, 0, run.stderr);
    client.secret = /(whsec_\S+)/.exec(run.stdout)![1]!;
  }

  const acked: Acknowledged[] = [];
  const leftAtKills: string[] = [];
  for (let round = 1; round <= KILLS; round++) {
    const server: ChildServer = round === 1 ? current! : (current = await start());
    const stats = { inFlight: 0, flows: 0 };
    const running = load(server, round, acked, stats);
    const threshold = 10 + Math.floor(Math.random() * 20);
    await waitFor(() => stats.flows >= threshold && stats.inFlight > 0, { timeoutMs: 30_000, intervalMs: 5, what: `${threshold} decisions in round ${round}` });
    await server.kill('SIGKILL');
    await running;
    current = null;
    const left = outboxAfterKill();
    leftAtKills.push(`${left.pending}/${left.claimed}`);
    t.diagnostic(`figure: webhook kill ${round}: ${stats.flows} decisions acknowledged this round (${acked.length} in all); the outbox held ${left.pending} pending events, ${left.claimed} of them under a lease (mid-attempt now or at an earlier kill)`);
  }

  // A last start: what the dead processes had not delivered goes out now.
  current = await start();
  const restartedAt = Date.now();
  const bySession = () => new Map(receiver.events().map((e) => [e.payload.data.session_id as string, e]));
  await waitFor(() => acked.every((a) => bySession().has(a.sessionId)), { timeoutMs: 30_000, what: 'every acknowledged decision\'s event' });
  const caughtUpMs = Date.now() - restartedAt;
  const events = bySession();
  let missing = 0;
  for (const a of acked) {
    const e = events.get(a.sessionId);
    if (!e) {
      missing++;
      continue;
    }
    assert.equal(e.payload.type, a.type, a.sessionId);
    assert.equal(e.payload.data.client_id, a.clientId);
    if (a.token) assert.equal(e.payload.data.token, a.token, 'the token the client was answered');
  }
  const secretOf = (p: string) => CLIENTS.find((c) => p === `/${c.id}`)!.secret;
  const unsigned = receiver.requests.filter((r) => !specVerify(secretOf(r.path), r, r.at)).length;
  const duplicates = receiver.requests.length - receiver.events().length;
  const extra = receiver.events().length - acked.length;
  assert.deepEqual(await current!.kill('SIGTERM'), { code: 0, signal: null });
  current = null;
  t.diagnostic(
    `figure: webhooks across ${KILLS} SIGKILLs: ${acked.length} decisions acknowledged, ${missing} events missing, ${unsigned} badly signed, ` +
      `${duplicates} duplicate deliveries, ${extra} events for decisions cut off before their answer; pending/leased at the kills ${leftAtKills.join(', ')}; ` +
      `all delivered ${caughtUpMs} ms after the last restart`,
  );
  assert.equal(missing, 0);
  assert.equal(unsigned, 0);
});
