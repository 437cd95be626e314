// Attack (or bad luck): the service dies at the worst moment. Under a load of concurrent
// server-to-server verifications (session with mobile and name → OTP from the SMS gateway →
// verify with consent: true → token), the service process is killed with SIGKILL, restarted on
// the same data dir, and killed again, several times. After each kill the SQLite file must hold
// an audit record and a completed session for every token a client received (records lost: 0),
// no half-written session, and pass `PRAGMA integrity_check`; after each restart the tokens still
// read back and still verify against the published keys.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { DATABASE_FILE } from '../server/services.ts';
import { type ChildServer, isCutOffByKill, spawnServer } from '../test-support/child-server.ts';
import { FakeSmsGateway } from '../test-support/fake-sms-gateway.ts';
import { DEMO, OTP_IN_TEXT, decodeJws, letters, waitFor } from '../test-support/harness.ts';
import { verifyStatusToken } from '@kycvs/verifier';

const KILLS = 5;
const WORKERS = 12;
const ISSUER = 'http://kycvs.test';

const gateway = new FakeSmsGateway();
const gatewayUrl = await gateway.start();
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kycvs-crash-'));
let current: ChildServer | null = null;
after(async () => {
  await current?.cleanup();
  await gateway.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const CLIENTS = [
  { id: DEMO.railway.id, apiKey: DEMO.railway.apiKey },
  { id: DEMO.hotel.id, apiKey: DEMO.hotel.apiKey },
];
const PEOPLE = [DEMO.asha, DEMO.ravi, DEMO.meera, DEMO.arjun];

interface Received {
  token: string;
  sessionId: string;
  jti: string;
  clientId: string;
  round: number;
}

const start = () =>
  spawnServer({ dataDir, env: { KYCVS_SMS_GATEWAY_URL: gatewayUrl, KYCVS_SMS_GATEWAY_TOKEN: 'gw', KYCVS_ISSUER: ISSUER, LOG_LEVEL: 'warn' } });

/**
 * Runs flows on `server` with WORKERS concurrent clients until it dies. Each token a client
 * receives is pushed to `received` the moment its answer is read.
 */
async function load(server: ChildServer, round: number, received: Received[], denied: string[], stats: { inFlight: number; flows: number }): Promise<void> {
  let dead = false;
  void server.exited.then(() => (dead = true));
  let seq = 0;
  const worker = async (w: number) => {
    while (!dead) {
      const n = seq++;
      const client = CLIENTS[n % 2]!;
      const person = PEOPLE[(n + w) % PEOPLE.length]!;
      const tag = `crash-${letters(round)}-${letters(w)}-${letters(n)}`;
      try {
        stats.inFlight++;
        const created = await server.api('POST', '/v1/sessions', { apiKey: client.apiKey, json: { purpose: tag, nonce: tag, mobile: person.mobile, name: person.name } });
        if (created.status !== 201) throw new Error(`create ${created.status} ${created.text}`);
        const text = await waitFor(() => (dead ? 'dead' : gateway.messages.find((m) => m.text.includes(`(${tag})`))?.text), {
          timeoutMs: 15_000,
          what: `the SMS of ${tag}`,
        });
        if (text === 'dead') break;
        const otp = OTP_IN_TEXT.exec(text)![1]!;
        const sessionId = created.body.session_id as string;
        // Two flows in three: the backend consents with the code (otp_sent → completed at once). The
        // third asks the citizen: code → verified with a ticket → the citizen's allow, or (1 in 6) deny.
        const askCitizen = n % 3 === 2;
        const verified = await server.api('POST', `/v1/sessions/${sessionId}/otp/verify`, { apiKey: client.apiKey, json: askCitizen ? { otp } : { otp, consent: true } });
        if (verified.status !== 200) throw new Error(`verify ${verified.status} ${verified.text}`);
        let token = verified.body.token as string;
        if (askCitizen) {
          const decision = n % 6 === 5 ? 'deny' : 'allow';
          const decided = await server.api('POST', `/v1/sessions/${sessionId}/consent`, { json: { decision, consent_ticket: verified.body.consent_ticket } });
          if (decided.status !== 200) throw new Error(`consent ${decided.status} ${decided.text}`);
          if (decision === 'deny') {
            denied.push(sessionId);
            continue;
          }
          token = decided.body.token as string;
        }
        received.push({ token, sessionId, jti: decodeJws(token).payload.jti as string, clientId: client.id, round });
        stats.flows++;
      } catch (err) {
        // A request cut off by the kill; anything else while the server lives is a failure.
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

interface SessionRow {
  id: string;
  client_id: string;
  state: string;
  mobile_hash: Buffer | null;
  otp_hash: Buffer | null;
  otp_sent_at: number | null;
  otp_expires_at: number | null;
  sends: number;
  subject: string | null;
  consent_ticket_hash: Buffer | null;
  token: string | null;
  token_jti: string | null;
  completed_at: number | null;
}

/** Checks the data dir with no server running; returns what it found. */
function inspect(received: Received[], denied: string[]): { lost: number; sessions: number; audits: number; stuckVerified: number } {
  const db = new Database(path.join(dataDir, DATABASE_FILE));
  try {
    assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
    assert.deepEqual(db.pragma('foreign_key_check'), []);
    const sessions = db.prepare('SELECT * FROM sessions').all() as SessionRow[];
    const audits = db.prepare('SELECT * FROM audit_events').all() as { session_id: string; event: string; token_jti: string | null; client_id: string }[];
    const auditsBySession = new Map<string, typeof audits>();
    for (const a of audits) auditsBySession.set(a.session_id, [...(auditsBySession.get(a.session_id) ?? []), a]);
    let stuckVerified = 0;
    for (const s of sessions) {
      const where = `session ${s.id} (${s.state})`;
      const mine = auditsBySession.get(s.id) ?? [];
      switch (s.state) {
        case 'created':
          assert.equal(s.sends, 0, where);
          assert.equal(s.otp_hash, null, where);
          assert.equal(mine.length, 0, where);
          break;
        case 'otp_sent':
          assert.ok(s.sends >= 1 && s.otp_hash && s.mobile_hash && s.otp_sent_at && s.otp_expires_at && s.subject, where);
          assert.equal(mine.length, 0, where);
          break;
        case 'verified':
          // The kill fell between checking the code and storing the token: no client holds a token for it.
          assert.ok(s.consent_ticket_hash, `${where}: verified without a consent ticket hash`);
          assert.equal(s.otp_hash, null, where);
          assert.equal(s.token, null, where);
          assert.equal(mine.length, 0, where);
          stuckVerified++;
          break;
        case 'completed':
          // (A consent ticket hash only when the citizen decided with one; a backend's consent: true needs none.)
          assert.ok(s.token && s.token_jti && s.completed_at && s.subject && s.otp_hash === null, `${where}: half-written`);
          assert.equal(decodeJws(s.token).payload.jti, s.token_jti, where);
          assert.deepEqual(mine.map((a) => [a.event, a.token_jti, a.client_id]), [['allow', s.token_jti, s.client_id]], where);
          break;
        case 'denied':
          assert.ok(s.completed_at && s.token === null, where);
          assert.deepEqual(mine.map((a) => a.event), ['deny'], where);
          break;
        default:
          assert.ok(['locked'].includes(s.state), `${where}: unknown state`);
      }
    }
    const byId = new Map(sessions.map((s) => [s.id, s]));
    for (const a of audits) {
      const s = byId.get(a.session_id);
      assert.ok(s, `audit record for a missing session ${a.session_id}`);
      if (a.event === 'allow') assert.equal(s.token_jti, a.token_jti);
    }
    let lost = 0;
    for (const r of received) {
      const s = byId.get(r.sessionId);
      const audit = auditsBySession.get(r.sessionId) ?? [];
      const ok = s?.state === 'completed' && s.token === r.token && s.token_jti === r.jti && audit.length === 1 && audit[0]!.token_jti === r.jti;
      if (!ok) lost++;
    }
    // A refusal the citizen was told was recorded is recorded too.
    for (const id of denied) {
      const s = byId.get(id);
      if (s?.state !== 'denied' || (auditsBySession.get(id) ?? []).length !== 1) lost++;
    }
    return { lost, sessions: sessions.length, audits: audits.length, stuckVerified };
  } finally {
    db.close();
  }
}

test(`SIGKILL ${KILLS} times under a load of concurrent flows: every token received has its records, nothing half-written, integrity ok`, async (t) => {
  const received: Received[] = [];
  const denied: string[] = [];
  let totalLost = 0;
  let inFlightAtKills = 0;
  for (let round = 1; round <= KILLS; round++) {
    const server = (current = await start());
    assert.equal((await server.api('GET', '/healthz')).status, 200, `restart ${round - 1}`);
    // What survived the previous kills still reads back, with the same token, from the client's own key.
    for (const r of received.filter((x) => x.round === round - 1)) {
      const view = await server.api('GET', `/v1/sessions/${r.sessionId}`, { apiKey: CLIENTS.find((c) => c.id === r.clientId)!.apiKey });
      assert.equal(view.status, 200, view.text);
      assert.equal(view.body.state, 'completed');
      assert.equal(view.body.token, r.token);
      const verified = await verifyStatusToken(r.token, { issuer: ISSUER, audience: r.clientId, nonce: decodeJws(r.token).payload.nonce as string, jwksUri: `${server.url}/.well-known/jwks.json` });
      assert.ok([0, 1, 2].includes(verified.status));
    }
    const stats = { inFlight: 0, flows: 0 };
    const running = load(server, round, received, denied, stats);
    // Kill mid-load: once this round has produced some tokens, at a moment when requests are in flight.
    const threshold = 15 + Math.floor(Math.random() * 30);
    await waitFor(() => stats.flows >= threshold && stats.inFlight > 0, { timeoutMs: 30_000, intervalMs: 5, what: `${threshold} flows in round ${round}` });
    const cutOff = stats.inFlight;
    inFlightAtKills += cutOff;
    await server.kill('SIGKILL');
    await running;
    current = null;
    const found = inspect(received, denied);
    totalLost += found.lost;
    t.diagnostic(
      `figure: kill ${round}: ${stats.flows} tokens this round (${received.length} in all), ${cutOff} flows cut off; ` +
        `the file holds ${found.sessions} sessions, ${found.audits} audit records, ${found.stuckVerified} verified-but-never-completed; records lost ${found.lost}`,
    );
    assert.equal(found.lost, 0, `round ${round}: tokens or refusals without their records`);
  }
  // A last clean start: everything received reads back, then a graceful stop.
  const server = (current = await start());
  for (const r of received) {
    const view = await server.api('GET', `/v1/sessions/${r.sessionId}`, { apiKey: CLIENTS.find((c) => c.id === r.clientId)!.apiKey });
    assert.equal(view.body.token, r.token);
  }
  assert.deepEqual(await server.kill('SIGTERM'), { code: 0, signal: null });
  current = null;
  t.diagnostic(
    `figure: kills survived ${KILLS}, tokens received ${received.length}, refusals acknowledged ${denied.length}, flows in flight at the kills ${inFlightAtKills}, records lost ${totalLost}`,
  );
  assert.equal(totalLost, 0);
});
