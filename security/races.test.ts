// Attack: races. Concurrent requests on one session try to get more than one token or more texts
// than the send cap. The in-process suite (server/http/sessions.test.ts) fires them at one
// process; here they are split across TWO service processes sharing one data dir, as app
// processes behind a load balancer would, so only the store's compare-and-set can keep order.
// Texts are counted at a fake SMS gateway; tokens and audit records read back from the SQLite file.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import path from 'node:path';
import { DATABASE_FILE } from '../server/services.ts';
import { type ChildServer, spawnServer } from '../test-support/child-server.ts';
import { FakeSmsGateway } from '../test-support/fake-sms-gateway.ts';
import { type ApiResponse, DEMO, assertClientError, decodeJws, letters, waitFor } from '../test-support/harness.ts';

const gateway = new FakeSmsGateway();
let a: ChildServer;
let b: ChildServer;
let db: Database.Database;
let seq = 0;

before(async () => {
  const url = await gateway.start();
  const env = { KYCVS_SMS_GATEWAY_URL: url, KYCVS_SMS_GATEWAY_TOKEN: 'gw', KYCVS_RESEND_AFTER: '1', LOG_LEVEL: 'warn' };
  a = await spawnServer({ env });
  // The second process starts once the first has made the keys and schema.
  b = await spawnServer({ env, dataDir: a.dataDir });
  db = new Database(path.join(a.dataDir, DATABASE_FILE), { readonly: true });
  db.pragma('busy_timeout = 5000');
});
after(async () => {
  db?.close();
  await b?.cleanup();
  await a?.cleanup();
  await gateway.close();
});

const host = { apiKey: DEMO.railway.apiKey };
/** Alternates the two processes, as a round-robin load balancer would. */
const via = (i: number) => (i % 2 ? b : a);

/** A server-to-server session whose purpose (printed in its SMS) tags its texts. */
async function taggedSession(): Promise<{ id: string; tag: string }> {
  const tag = `race-${letters(seq++)}-${letters(Date.now())}`;
  const res = await a.api('POST', '/v1/sessions', { ...host, json: { purpose: tag } });
  assert.equal(res.status, 201, res.text);
  return { id: res.body.session_id, tag };
}

const sendOtp = (i: number, id: string) =>
  via(i).api('POST', `/v1/sessions/${id}/otp`, { ...host, json: { mobile: DEMO.arjun.mobile, name: DEMO.arjun.name } });

/** Every answer is a success (`ok`) or a well-formed 4xx with a known code; returns the codes seen. */
function codes(answers: ApiResponse[], ok: number): string[] {
  return answers.map((res) => {
    if (res.status === ok) return String(ok);
    assertClientError(res);
    return res.body.error as string;
  });
}

describe('races across two processes on one data dir', () => {
  test('volleys of 20 concurrent resends on one session never send more than the 3 texts a session may have', async (t) => {
    const { id, tag } = await taggedSession();
    let accepted = 0;
    let volleys = 0;
    const seen = new Set<string>();
    // Fire volleys until the session answers every request with send_limit_reached (bounded).
    await waitFor(
      async () => {
        volleys++;
        const answers = codes(await Promise.all(Array.from({ length: 20 }, (_, i) => sendOtp(i, id))), 202);
        answers.forEach((c) => seen.add(c));
        accepted += answers.filter((c) => c === '202').length;
        return answers.every((c) => c === 'send_limit_reached');
      },
      { timeoutMs: 20_000, intervalMs: 200, what: 'the session to run out of sends' },
    );
    await waitFor(() => gateway.containing(tag).length >= accepted, { what: 'the accepted texts at the gateway' });
    const texts = gateway.containing(tag).length;
    t.diagnostic(`figure: ${volleys} volleys × 20 concurrent resends over 2 processes → ${accepted} accepted, ${texts} SMS (cap 3); answers seen: ${[...seen].join(', ')}`);
    assert.equal(accepted, 3);
    assert.equal(texts, 3);
    const row = db.prepare('SELECT sends FROM sessions WHERE id = ?').get(id) as { sends: number };
    assert.equal(row.sends, 3);
  });

  test('40 concurrent new verifications for one mobile over 2 processes stay within its hourly SMS cap', async (t) => {
    const CAP = 6;
    // Its own pair of processes: the per-mobile cap is a knob of the environment.
    const env = { KYCVS_SMS_GATEWAY_URL: gateway.url, KYCVS_SMS_GATEWAY_TOKEN: 'gw', KYCVS_SMS_PER_MOBILE_HOUR: String(CAP), LOG_LEVEL: 'warn' };
    const p = await spawnServer({ env });
    const q = await spawnServer({ env, dataDir: p.dataDir });
    try {
      const tag = `cap-${letters(Date.now())}`;
      const started = Date.now();
      const answers = await Promise.all(
        Array.from({ length: 40 }, async (_, i) => {
          const server = i % 2 ? q : p;
          const created = await server.api('POST', '/v1/sessions', { ...host, json: { purpose: tag } });
          assert.equal(created.status, 201, created.text);
          return server.api('POST', `/v1/sessions/${created.body.session_id}/otp`, { ...host, json: { mobile: DEMO.asha.mobile, name: DEMO.asha.name } });
        }),
      );
      const accepted = codes(answers, 202).filter((c) => c === '202').length;
      await waitFor(() => gateway.containing(tag).length >= accepted, { what: 'the accepted texts at the gateway' });
      const texts = gateway.containing(tag).length;
      t.diagnostic(`figure: 40 concurrent verifications for one mobile over 2 processes → ${accepted} accepted, ${texts} SMS (cap ${CAP}/h)`);
      assert.equal(texts, accepted);
      // Sliding windows: at most CAP in any hour, so at most CAP in a run far shorter than one.
      assert.ok(texts <= CAP * Math.max(1, Math.ceil((Date.now() - started) / 3_600_000)), `${texts} texts`);
    } finally {
      await q.cleanup();
      await p.cleanup();
    }
  });

  test('40 concurrent verifies with the right code and consent: true over 2 processes → exactly one token, audited once', async (t) => {
    const { id, tag } = await taggedSession();
    assert.equal((await sendOtp(0, id)).status, 202);
    const otp = await gateway.otp((m) => m.text.includes(tag));
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) => via(i).api('POST', `/v1/sessions/${id}/otp/verify`, { ...host, json: { otp, consent: true } })),
    );
    const seen = codes(answers, 200);
    const winners = answers.filter((r) => r.status === 200);
    t.diagnostic(`figure: 40 concurrent verify+consent over 2 processes → ${winners.length} token(s); others: ${[...new Set(seen.filter((c) => c !== '200'))].join(', ')}`);
    assert.equal(winners.length, 1, seen.join(','));
    const token = winners[0]!.body.token as string;
    const row = db.prepare('SELECT state, token, token_jti FROM sessions WHERE id = ?').get(id) as { state: string; token: string; token_jti: string };
    assert.deepEqual(row, { state: 'completed', token, token_jti: decodeJws(token).payload.jti });
    const audit = db.prepare('SELECT event, token_jti FROM audit_events WHERE session_id = ?').all(id);
    assert.deepEqual(audit, [{ event: 'allow', token_jti: row.token_jti }]);
  });

  test('40 concurrent consent calls (allow and deny) with the ticket over 2 processes → exactly one decision, the one recorded', async (t) => {
    const { id, tag } = await taggedSession();
    assert.equal((await sendOtp(0, id)).status, 202);
    const otp = await gateway.otp((m) => m.text.includes(tag));
    const verified = await b.api('POST', `/v1/sessions/${id}/otp/verify`, { ...host, json: { otp } });
    assert.equal(verified.status, 200, verified.text);
    const ticket = verified.body.consent_ticket as string;
    const decisions = Array.from({ length: 40 }, (_, i) => (i % 3 === 0 ? 'deny' : 'allow'));
    const answers = await Promise.all(
      decisions.map((decision, i) => via(i).api('POST', `/v1/sessions/${id}/consent`, { json: { decision, consent_ticket: ticket } })),
    );
    const seen = codes(answers, 200);
    const won = answers.flatMap((r, i) => (r.status === 200 ? [decisions[i]!] : []));
    t.diagnostic(`figure: 40 concurrent consent calls over 2 processes → ${won.length} decision(s) taken (${won.join(',')})`);
    assert.equal(won.length, 1, seen.join(','));
    const audit = db.prepare('SELECT event, token_jti FROM audit_events WHERE session_id = ?').all(id) as { event: string; token_jti: string | null }[];
    assert.equal(audit.length, 1);
    assert.equal(audit[0]!.event, won[0]);
    const row = db.prepare('SELECT state, token FROM sessions WHERE id = ?').get(id) as { state: string; token: string | null };
    if (won[0] === 'allow') {
      const token = answers.find((r) => r.status === 200)!.body.token as string;
      assert.equal(row.state, 'completed');
      assert.equal(row.token, token);
      assert.equal(audit[0]!.token_jti, decodeJws(token).payload.jti);
    } else {
      assert.deepEqual(row, { state: 'denied', token: null });
    }
  });
});
