// A decision made durable in PostgreSQL (kycvs_record_decision, migration 003): the audit record and
// the webhook event land together or not at all, one decision per session, and a session that
// already has its terminal event (expired, locked) takes no decision. Against a real PostgreSQL.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { waitFor } from '../../test-support/harness.ts';
import { createTestDatabase } from '../../test-support/postgres.ts';
import { newWebhookEventRow } from '../webhooks/outbox.ts';
import type { AuditEvent } from './audit.ts';
import { DecisionTaken, recordDecision } from './postgres-audit.ts';

const db = await createTestDatabase();
const RETRY_FOR_MS = 86_400_000;

for (const [id, webhook] of [
  ['with-webhook', 'https://rail.example/hooks'],
  ['without-webhook', null],
] as const) {
  await db.pool.query(
    `INSERT INTO clients (id, name, purpose, allowed_origins, status, created_at, webhook_url) VALUES ($1, 'Rail', 'Boarding', '[]', 'active', 0, $2)`,
    [id, webhook],
  );
}

let sessions = 0;
function decision(clientId: string, event: 'allow' | 'deny' = 'allow'): AuditEvent {
  return {
    at: Date.now(),
    clientId,
    sessionId: `ses_audit_${++sessions}`,
    purpose: 'Boarding',
    event,
    vaccinationStatus: event === 'allow' ? 2 : null,
    subject: event === 'allow' ? 'sub_1' : null,
    tokenJti: event === 'allow' ? `jti_${sessions}` : null,
  };
}

const eventFor = (a: AuditEvent, type: 'session.completed' | 'session.expired' = 'session.completed') =>
  newWebhookEventRow(type, { sessionId: a.sessionId, clientId: a.clientId, nonce: null }, a.at, RETRY_FOR_MS);

const INSERT_EVENT = `INSERT INTO webhook_events (session_id, id, client_id, type, payload, created_at, state, next_attempt_at, give_up_at)
  VALUES ($1, $2, $3, $4, $5, $6, 'pending', $6, $7)`;
const eventValues = (e: ReturnType<typeof eventFor>) => [e.sessionId, e.id, e.clientId, e.type, e.payload, e.createdAt, e.giveUpAt];

async function rowsOf(sessionId: string): Promise<{ audit: string[]; events: string[] }> {
  const audit = await db.pool.query<{ event: string }>('SELECT event FROM audit_events WHERE session_id = $1', [sessionId]);
  const events = await db.pool.query<{ type: string }>('SELECT type FROM webhook_events WHERE session_id = $1', [sessionId]);
  return { audit: audit.rows.map((r) => r.event), events: events.rows.map((r) => r.type) };
}

describe('recordDecision (kycvs_record_decision)', () => {
  test('a client with a webhook: the audit record and the event, with the row as built', async () => {
    const a = decision('with-webhook');
    const event = eventFor(a);
    assert.equal(await recordDecision(db.pool, a, event), true);
    assert.deepEqual(await rowsOf(a.sessionId), { audit: ['allow'], events: ['session.completed'] });
    const { rows } = await db.pool.query('SELECT id, payload, created_at, next_attempt_at, give_up_at, state FROM webhook_events WHERE session_id = $1', [a.sessionId]);
    assert.deepEqual(rows[0], { id: event.id, payload: event.payload, created_at: a.at, next_attempt_at: a.at, give_up_at: event.giveUpAt, state: 'pending' });
  });

  test('a client without a webhook: the audit record only', async () => {
    const a = decision('without-webhook', 'deny');
    assert.equal(await recordDecision(db.pool, a, eventFor(a)), false);
    assert.deepEqual(await rowsOf(a.sessionId), { audit: ['deny'], events: [] });
  });

  test('a second decision for the session: DecisionTaken, and the first stands alone', async () => {
    const a = decision('with-webhook');
    await recordDecision(db.pool, a, eventFor(a));
    const second = { ...a, event: 'deny' as const, vaccinationStatus: null, subject: null, tokenJti: null };
    await assert.rejects(recordDecision(db.pool, second, eventFor(second)), DecisionTaken);
    assert.deepEqual(await rowsOf(a.sessionId), { audit: ['allow'], events: ['session.completed'] });
  });

  test('a second decision for a session of a client without a webhook: DecisionTaken too', async () => {
    const a = decision('without-webhook');
    assert.equal(await recordDecision(db.pool, a, eventFor(a)), false);
    await assert.rejects(recordDecision(db.pool, { ...a, tokenJti: 'jti_other' }, eventFor(a)), DecisionTaken);
    assert.deepEqual(await rowsOf(a.sessionId), { audit: ['allow'], events: [] });
  });

  test('a session that already has its terminal event (expired first): DecisionTaken, and no audit record is left', async () => {
    const a = decision('with-webhook');
    await db.pool.query(INSERT_EVENT, eventValues(eventFor(a, 'session.expired')));
    await assert.rejects(recordDecision(db.pool, a, eventFor(a)), DecisionTaken);
    assert.deepEqual(await rowsOf(a.sessionId), { audit: [], events: ['session.expired'] });
  });

  for (const outcome of ['COMMIT', 'ROLLBACK'] as const) {
    test(`an expiry not yet committed when the decision comes: the decision waits for it, then ${outcome === 'COMMIT' ? 'loses (no audit record)' : 'stands'}`, async () => {
      const a = decision('with-webhook');
      const sweeper = await db.newPool(1).connect();
      try {
        await sweeper.query('BEGIN');
        await sweeper.query(INSERT_EVENT, eventValues(eventFor(a, 'session.expired')));
        let settled = false;
        const deciding = recordDecision(db.pool, a, eventFor(a)).finally(() => (settled = true));
        deciding.catch(() => undefined);
        // The decision is blocked on the expiry's row until that transaction ends.
        await waitFor(async () => (await db.pool.query("SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()")).rowCount! > 0, {
          what: 'the decision waiting for the expiry',
        });
        assert.equal(settled, false);
        await sweeper.query(outcome);
        if (outcome === 'COMMIT') {
          await assert.rejects(deciding, DecisionTaken);
          assert.deepEqual(await rowsOf(a.sessionId), { audit: [], events: ['session.expired'] });
        } else {
          assert.equal(await deciding, true);
          assert.deepEqual(await rowsOf(a.sessionId), { audit: ['allow'], events: ['session.completed'] });
        }
      } finally {
        sweeper.release();
      }
    });
  }

  test('20 racing decisions for one session over two pools: one commits, 19 get DecisionTaken', async () => {
    const pools = [db.pool, db.newPool()];
    const base = decision('with-webhook');
    const outcomes = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => {
        const a = { ...base, tokenJti: `jti_race_${i}` };
        return recordDecision(pools[i % 2]!, a, eventFor(a));
      }),
    );
    assert.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 1);
    assert.ok(outcomes.every((o) => o.status === 'fulfilled' || o.reason instanceof DecisionTaken));
    assert.deepEqual(await rowsOf(base.sessionId), { audit: ['allow'], events: ['session.completed'] });
  });
});
