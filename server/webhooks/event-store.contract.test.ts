// The event store's contract, the same cases on the SQLite file and on PostgreSQL: claims with
// leases (one claimant per event however many race, a lease taken over once it ran out, a late
// finisher unable to overwrite the newer outcome, a delivered event never claimed again), retries,
// giving up, release on shutdown, and the CLI's list / attempts / replay / prune. Times are given
// explicitly (the store takes `now`), so nothing here waits on a clock.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { type EventStoreBackend, postgresBackend, sqliteBackend } from './contract-backends.ts';
import type { AttemptRecord, ClaimedEvent, WebhookEventStore } from './event-store.ts';
import { type WebhookEventType, newWebhookEventRow } from './outbox.ts';

const T = 1_700_000_000_000;
const LEASE = 21_000;
const DAY = 86_400_000;

const attemptOf = (e: ClaimedEvent, at: number, statusCode: number | null = 204, error: string | null = null): AttemptRecord => ({
  eventId: e.id,
  attempt: e.attempts,
  at,
  durationMs: 12,
  statusCode,
  error,
});

for (const make of [sqliteBackend, postgresBackend]) {
  describe(`event store on ${make === sqliteBackend ? 'SQLite' : 'PostgreSQL'}`, () => {
    let backend: EventStoreBackend;
    let store: WebhookEventStore;
    let n = 0;
    before(async () => {
      backend = await make();
    });
    after(async () => {
      await backend.close();
    });
    beforeEach(async () => {
      await backend.reset();
      store = backend.connect();
    });

    /** A pending event of `client`, created at `at`, due at `due` (default: at once). */
    async function event(at: number, { client = 'hooked', due, type = 'session.denied' }: { client?: string; due?: number; type?: WebhookEventType } = {}) {
      const row = newWebhookEventRow(type, { sessionId: `ses_contract_${n++}`, clientId: client, nonce: null }, at, DAY);
      await backend.insert(row, due);
      return row;
    }

    test('claims due events only, the longest due first, up to the limit; the claim holds them for the lease', async () => {
      const late = await event(T - 1000);
      const early = await event(T - 5000);
      await event(T - 3000);
      const future = await event(T + 10_000);
      const claimed = await store.claimDue(T, 2, LEASE);
      assert.deepEqual(claimed.map((e) => e.id).sort(), [early.id, (await store.list()).find((e) => e.createdAt === T - 3000)!.id].sort());
      for (const e of claimed) {
        assert.equal(e.attempts, 1);
        assert.equal(e.nextAttemptAt, T + LEASE);
        assert.equal(e.state, 'pending');
        assert.ok(e.claim.length >= 8);
      }
      assert.equal(claimed[0]!.claim, claimed[1]!.claim, 'one claim per call');
      const rest = await store.claimDue(T, 10, LEASE);
      assert.deepEqual(rest.map((e) => e.id), [late.id], 'the claimed ones are not due any more; the future one not yet');
      assert.notEqual(rest[0]!.claim, claimed[0]!.claim);
      assert.deepEqual((await store.claimDue(T + 10_000, 10, LEASE)).map((e) => e.id), [future.id], 'due in its time (the leases still run)');
      const got = await store.get(early.id);
      assert.equal(got?.payload, early.payload, 'the body as the outbox wrote it');
      assert.equal(got?.sessionId, early.sessionId);
    });

    test('20 racing claims from 3 connections over 10 due events: each event claimed exactly once', async () => {
      for (let i = 0; i < 10; i++) await event(T - i);
      const stores = [backend.connect(), backend.connect(), backend.connect()];
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => stores[i % 3]!.claimDue(T, 3, LEASE)));
      const ids = results.flat().map((e) => e.id);
      assert.equal(ids.length, 10, `claimed ${ids.length} times`);
      assert.equal(new Set(ids).size, 10, 'no event claimed twice');
      assert.equal((await store.claimDue(T + LEASE - 1, 10, LEASE)).length, 0, 'nothing due before the leases end');
    });

    test('a lease that ran out is taken over; the first claimant, finishing late, cannot overwrite the outcome; delivered is never sent again', async () => {
      const e = await event(T);
      const [dead] = await store.claimDue(T, 10, LEASE);
      assert.ok(dead);
      assert.equal((await backend.connect().claimDue(T + LEASE - 1, 10, LEASE)).length, 0, 'held while the lease runs');
      const other = backend.connect();
      const [taken] = await other.claimDue(T + LEASE, 10, LEASE);
      assert.equal(taken?.id, e.id);
      assert.equal(taken!.attempts, 2, 'the lost attempt counts');
      assert.equal(await other.recordAttempt(taken!, attemptOf(taken!, T + LEASE + 5), { kind: 'delivered' }, 'HTTP 204'), true);
      // The dead claimant wakes up and reports a failure: kept as an attempt, but the event stays delivered.
      assert.equal(await store.recordAttempt(dead, attemptOf(dead, T + 100, 500, 'HTTP 500'), { kind: 'retry', at: T + 200 }, 'HTTP 500'), false);
      const row = (await store.get(e.id))!;
      assert.equal(row.state, 'delivered');
      assert.equal(row.finishedAt, T + LEASE + 5 + 12);
      assert.equal(row.lastResult, 'HTTP 204');
      assert.deepEqual((await store.attempts(e.id)).map((a) => [a.attempt, a.statusCode]).sort(), [[1, 500], [2, 204]]);
      assert.equal((await store.claimDue(T + 10 * DAY, 10, LEASE)).length, 0, 'a delivered event is never claimed again');
      assert.equal(await store.nextDueAt(), null);
    });

    test('a retry leaves the event pending, due at the retry time, its claim cleared', async () => {
      const e = await event(T);
      const [c] = await store.claimDue(T, 1, LEASE);
      assert.equal(await store.recordAttempt(c!, attemptOf(c!, T + 10, 503, 'HTTP 503'), { kind: 'retry', at: T + 5000 }, 'HTTP 503'), true);
      const row = (await store.get(e.id))!;
      assert.deepEqual([row.state, row.nextAttemptAt, row.finishedAt, row.lastResult, row.attempts], ['pending', T + 5000, null, 'HTTP 503', 1]);
      assert.equal(await store.nextDueAt(), T + 5000);
      assert.equal((await store.claimDue(T + 4999, 1, LEASE)).length, 0);
      const [again] = await store.claimDue(T + 5000, 1, LEASE);
      assert.equal(again?.attempts, 2);
      assert.equal(await store.recordAttempt(c!, attemptOf(c!, T + 5001), { kind: 'delivered' }, 'HTTP 204'), false, 'the old claim is spent');
    });

    test('failed for good: finished, never claimed again; attempts listed in order with their fields', async () => {
      const e = await event(T);
      const [c] = await store.claimDue(T, 1, LEASE);
      await store.recordAttempt(c!, attemptOf(c!, T + 10, null, 'timeout'), { kind: 'failed' }, 'timeout');
      const row = (await store.get(e.id))!;
      assert.deepEqual([row.state, row.finishedAt, row.lastResult], ['failed', T + 22, 'timeout']);
      assert.equal((await store.claimDue(T + 10 * DAY, 10, LEASE)).length, 0);
      assert.deepEqual(await store.attempts(e.id), [{ eventId: e.id, attempt: 1, at: T + 10, durationMs: 12, statusCode: null, error: 'timeout' }]);
      assert.deepEqual(await store.attempts('msg_none'), []);
    });

    test('release (shutdown before the attempt): due at once for anyone, and the released claim cannot record', async () => {
      const e = await event(T);
      const [c] = await store.claimDue(T, 1, LEASE);
      await store.release(c!, T + 50);
      assert.equal(await store.nextDueAt(), T + 50);
      const [next] = await backend.connect().claimDue(T + 50, 1, LEASE);
      assert.equal(next?.id, e.id);
      assert.equal(await store.recordAttempt(c!, attemptOf(c!, T + 60), { kind: 'delivered' }, 'HTTP 204'), false);
    });

    test('nextDueAt: the earliest pending event, leases included; null without any', async () => {
      assert.equal(await store.nextDueAt(), null);
      await event(T, { due: T + 900 });
      await event(T, { due: T + 300 });
      assert.equal(await store.nextDueAt(), T + 300);
      await store.claimDue(T + 300, 1, LEASE);
      assert.equal(await store.nextDueAt(), T + 900);
    });

    test('list: newest first, by client and by state, limited', async () => {
      const a1 = await event(T + 1, { client: 'alpha' });
      const b1 = await event(T + 2, { client: 'beta' });
      const a2 = await event(T + 3, { client: 'alpha', type: 'session.completed' });
      const [c] = await store.claimDue(T + 10, 1, LEASE);
      assert.equal(c?.id, a1.id);
      await store.recordAttempt(c!, attemptOf(c!, T + 10), { kind: 'delivered' }, 'HTTP 204');
      assert.deepEqual((await store.list()).map((e) => e.id), [a2.id, b1.id, a1.id]);
      assert.deepEqual((await store.list({ clientId: 'alpha' })).map((e) => e.id), [a2.id, a1.id]);
      assert.deepEqual((await store.list({ state: 'delivered' })).map((e) => e.id), [a1.id]);
      assert.deepEqual((await store.list({ clientId: 'alpha', state: 'pending' })).map((e) => [e.id, e.type]), [[a2.id, 'session.completed']]);
      assert.deepEqual((await store.list({ limit: 1 })).map((e) => e.id), [a2.id]);
      assert.equal(await store.get('msg_none'), null);
    });

    test('replay: unknown → null, busy while an attempt holds it, queued again after it failed or was delivered', async () => {
      assert.equal(await store.replay('msg_none', T, DAY), null);
      const e = await event(T);
      const [c] = await store.claimDue(T, 1, LEASE);
      assert.equal(await store.replay(e.id, T + 100, DAY), 'busy');
      await store.recordAttempt(c!, attemptOf(c!, T + 200, 410, 'HTTP 410'), { kind: 'failed' }, 'HTTP 410');
      assert.equal(await store.replay(e.id, T + 1000, 2 * DAY), 'queued');
      const row = (await store.get(e.id))!;
      assert.deepEqual([row.state, row.nextAttemptAt, row.giveUpAt, row.finishedAt, row.lastResult], ['pending', T + 1000, T + 1000 + 2 * DAY, null, 'replay requested']);
      const [again] = await store.claimDue(T + 1000, 1, LEASE);
      assert.equal(again?.id, e.id);
      await store.recordAttempt(again!, attemptOf(again!, T + 1001), { kind: 'delivered' }, 'HTTP 204');
      assert.equal(await store.replay(e.id, T + 2000, DAY), 'queued', 'a delivered event too, on request');
      // A claim whose lease ran out (its process died) does not block a replay.
      const [stale] = await store.claimDue(T + 2000, 1, LEASE);
      assert.ok(stale);
      assert.equal(await store.replay(e.id, T + 2000 + LEASE + 1, DAY), 'queued');
    });

    test('prune: finished events created before the cut go, with their attempts; pending and newer ones stay', async () => {
      const old = await event(T - 10 * DAY);
      const oldPending = await event(T - 10 * DAY, { due: T + DAY });
      const recent = await event(T - DAY);
      for (const c of await store.claimDue(T, 10, LEASE)) await store.recordAttempt(c, attemptOf(c, T), { kind: 'delivered' }, 'HTTP 204');
      assert.equal(await backend.countAttempts(), 2);
      assert.equal(await store.prune(T - 7 * DAY), 1);
      assert.equal(await store.get(old.id), null);
      assert.ok(await store.get(oldPending.id));
      assert.ok(await store.get(recent.id));
      assert.equal(await backend.countAttempts(), 1, 'the pruned event took its attempt with it');
      assert.equal(await store.prune(T - 7 * DAY), 0);
    });
  });
}
