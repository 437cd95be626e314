// The sliding-window counters, one contract for every implementation (a real SQLite file; the real
// Redis of test-support/redis.ts; the real Redis Cluster of test-support/redis-cluster.ts): for
// every quota (key, limit L, window T) no interval of length T admits more than L events, whatever the event times; hitAll counts an event against every
// quota or none; retry_after is the earliest second a retry gets through; release takes back exactly
// one hit of its sub-window, never below zero. SQLite's prune drops
// only what no window still reaches (Redis has TTLs instead: redis-rate-counter.test.ts).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { connectTestRedis } from '../../test-support/redis.ts';
import { connectTestRedisCluster } from '../../test-support/redis-cluster.ts';
import { type Db, openDatabase } from '../store/database.ts';
import { type Quota, type RateCounter, SqliteRateCounter } from './rate-counter.ts';
import { RedisRateCounter } from './redis-rate-counter.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kycvs-rate-'));
const db: Db = openDatabase(path.join(dir, 'counters.sqlite'));
after(() => {
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

let run = 0;
/** Keys no other test or property run uses. */
const fresh = (name: string) => `t${run++}:${name}`;
const HOUR = 3600;
const DAY = 86_400;
const at = (iso: string) => Date.parse(iso);

/** The most admitted events inside any closed interval [t, t + windowMs]. */
function densest(times: readonly number[], windowMs: number): number {
  let best = 0;
  for (let i = 0, j = 0; j < times.length; j++) {
    while (times[j]! - times[i]! > windowMs) i++;
    best = Math.max(best, j - i + 1);
  }
  return best;
}

/**
 * Admitted events (times ≤ now) a check at `now` counts: those whose sub-window (of the default
 * 20) overlaps [now − T, now]. Counters drop the rest (SQLite on prune, Redis on its next write).
 */
function inReach(times: readonly number[], windowSeconds: number, now: number): number {
  const sub = (windowSeconds * 1000) / 20;
  const oldest = Math.floor((now - windowSeconds * 1000) / sub) * sub;
  return times.filter((t) => Math.floor(t / sub) * sub >= oldest).length;
}

/** Each opens a counter on a real store; every test below runs against each. */
const IMPLEMENTATIONS: readonly { name: string; open(): Promise<RateCounter> }[] = [
  { name: 'SQLite', open: async () => new SqliteRateCounter(db) },
  {
    name: 'Redis',
    async open() {
      // Test events carry made-up times while TTLs run on Redis's clock: keys must outlive the
      // test (a few seconds), whatever window they count. Expiry itself: redis-rate-counter.test.ts.
      const { redis, prefix } = await connectTestRedis();
      return new RedisRateCounter(redis, { prefix, clockSkewMs: 600_000 });
    },
  },
  {
    // A request's quotas are in different hash slots there, on different masters.
    name: 'Redis Cluster',
    async open() {
      const { redis, prefix } = await connectTestRedisCluster();
      return new RedisRateCounter(redis, { prefix, clockSkewMs: 600_000 });
    },
  },
];

for (const { name, open } of IMPLEMENTATIONS) {
  describe(`sliding-window rate counter (${name})`, () => {
    let counter: RateCounter;
    before(async () => {
      counter = await open();
    });

    test('property: no interval of length T admits more than L; all or none; retry_after is exact', async () => {
      const quotaArb = fc.record({
        limit: fc.integer({ min: 1, max: 8 }),
        windowSeconds: fc.constantFrom(1, 7, 60, 90, 3600),
      });
      const scenario = fc.record({
        quotas: fc.array(quotaArb, { minLength: 1, maxLength: 4 }),
        start: fc.integer({ min: at('2026-01-01T00:00:00Z'), max: at('2027-01-01T00:00:00Z') }),
        // Each event: how long after the previous (a fraction of the shortest or of the longest
        // window, bursts included), and which quotas it counts against (a non-empty subset).
        events: fc.array(
          fc.record({ gap: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 0.6, noNaN: true })), longest: fc.boolean(), mask: fc.integer({ min: 1, max: 15 }) }),
          { minLength: 1, maxLength: 80 },
        ),
      });
      await fc.assert(
        fc.asyncProperty(scenario, async ({ quotas: shapes, start, events }) => {
          const prefix = fresh('p');
          const quotas: Quota[] = shapes.map((s, i) => ({ key: `${prefix}:q${i}`, ...s }));
          const shortestMs = Math.min(...quotas.map((q) => q.windowSeconds)) * 1000;
          const longestMs = Math.max(...quotas.map((q) => q.windowSeconds)) * 1000;
          const admitted = new Map<string, number[]>(quotas.map((q) => [q.key, []]));
          let now = start;
          for (const { gap, longest, mask } of events) {
            now += Math.floor(gap * (longest ? longestMs : shortestMs));
            const asked = quotas.filter((_, i) => mask & (1 << i));
            if (asked.length === 0) continue;
            const full = await counter.hitAll(asked, now);
            if (full === null) {
              for (const q of asked) admitted.get(q.key)!.push(now);
            } else {
              // Refused: the quota named is full, and nothing was counted anywhere (checked below).
              const { quota, decision } = full;
              assert.equal(decision.allowed, false);
              assert.ok(decision.count >= quota.limit);
              assert.ok(decision.retryAfter >= 1);
              // With nothing else coming in, a retry after retry_after gets through, one second earlier does not.
              const { limit, windowSeconds } = quota;
              assert.equal((await counter.peek(quota.key, limit, windowSeconds, now + decision.retryAfter * 1000)).allowed, true, 'retry after retry_after');
              assert.equal((await counter.peek(quota.key, limit, windowSeconds, now + (decision.retryAfter - 1) * 1000)).allowed, false, 'retry_after is the earliest');
            }
            // All or none: every quota asked counts exactly its admitted events that a window still reaches.
            for (const q of asked) {
              assert.equal((await counter.peek(q.key, q.limit, q.windowSeconds, now)).count, inReach(admitted.get(q.key)!, q.windowSeconds, now));
            }
          }
          for (const q of quotas) {
            const times = admitted.get(q.key)!;
            assert.ok(densest(times, q.windowSeconds * 1000) <= q.limit, `${q.limit}/${q.windowSeconds}s: ${densest(times, q.windowSeconds * 1000)} in one window`);
          }
        }),
        { numRuns: 500 },
      );
    });

    test('6 texts an hour: 12 tries in 22 s across the hour boundary admit 6, then the 7th waits an hour', async () => {
      const key = fresh('sms:mobile');
      const admitted: string[] = [];
      // 10:59:49 … 11:00:11, every 2 s; a fixed window admitted 6 before 11:00 and 6 after.
      for (let i = 0; i < 12; i++) {
        const now = at('2026-03-01T10:59:49Z') + i * 2000;
        if ((await counter.hitAll([{ key, limit: 6, windowSeconds: HOUR }], now)) === null) admitted.push(new Date(now).toISOString());
      }
      assert.equal(admitted.length, 6, admitted.join(' '));
      const last = at('2026-03-01T11:00:11Z');
      const refused = await counter.hitAll([{ key, limit: 6, windowSeconds: HOUR }], last);
      assert.ok(refused);
      // The oldest counted sub-window (3 min) leaves at 10:57 + 3 min + 1 h = 12:00.
      assert.equal(refused.decision.retryAfter, (at('2026-03-01T12:00:00Z') - last) / 1000);
      assert.equal(await counter.hitAll([{ key, limit: 6, windowSeconds: HOUR }], at('2026-03-01T11:59:59Z')) !== null, true);
      assert.equal(await counter.hitAll([{ key, limit: 6, windowSeconds: HOUR }], at('2026-03-01T12:00:00Z')), null);
    });

    test('the wrong-code day is rolling: 15 at 23:59 UTC are still locking at 00:01 and for 24 h', async () => {
      const key = fresh('otpfail:mobile');
      for (let i = 0; i < 15; i++) {
        const d = await counter.hit(key, 15, DAY, at('2026-03-01T23:59:00Z') + i * 1000);
        assert.equal(d.count, i + 1);
      }
      const afterMidnight = await counter.peek(key, 15, DAY, at('2026-03-02T00:01:00Z'));
      assert.equal(afterMidnight.allowed, false, 'a UTC-midnight reset would have unlocked it');
      assert.equal(afterMidnight.count, 15);
      assert.equal((await counter.peek(key, 15, DAY, at('2026-03-02T23:58:59Z'))).allowed, false);
      // Unlocked once the sub-window (72 min) holding the fails has left: 24 h + at most 72 min later.
      const freeAt = at('2026-03-02T00:01:00Z') + afterMidnight.retryAfter * 1000;
      assert.ok(freeAt >= at('2026-03-02T23:59:14Z') && freeAt <= at('2026-03-03T01:12:00Z'), new Date(freeAt).toISOString());
      assert.equal((await counter.peek(key, 15, DAY, freeAt)).allowed, true);
    });

    test('fails spread over the day free up oldest first', async () => {
      const key = fresh('otpfail:mobile');
      for (let i = 0; i < 10; i++) await counter.hit(key, 15, DAY, at('2026-03-01T08:00:00Z') + i);
      for (let i = 0; i < 5; i++) await counter.hit(key, 15, DAY, at('2026-03-01T20:00:00Z') + i);
      const locked = await counter.peek(key, 15, DAY, at('2026-03-01T21:00:00Z'));
      assert.equal(locked.allowed, false);
      // The 08:00 fails (sub-window 07:12–08:24) leave at 08:24 next day; the 20:00 ones stay.
      assert.equal(at('2026-03-01T21:00:00Z') + locked.retryAfter * 1000, at('2026-03-02T08:24:00Z'));
      const later = await counter.peek(key, 15, DAY, at('2026-03-02T08:24:00Z'));
      assert.equal(later.allowed, true);
      assert.equal(later.count, 5);
    });

    test('a request one quota refuses uses up no other quota', async () => {
      const ip = { key: fresh('sms:ip'), limit: 1, windowSeconds: HOUR };
      const victim = { key: fresh('sms:mobile'), limit: 6, windowSeconds: HOUR };
      const now = at('2026-03-01T10:00:00Z');
      assert.equal(await counter.hitAll([ip, victim], now), null);
      for (let i = 1; i <= 20; i++) assert.equal((await counter.hitAll([victim, ip], now + i))?.quota, ip);
      assert.equal((await counter.peek(victim.key, victim.limit, HOUR, now + 30)).count, 1, 'only the admitted request counted');
    });

    test('the same key twice in one call counts twice and cannot overshoot', async () => {
      const q = { key: fresh('dup'), limit: 3, windowSeconds: 60 };
      const now = at('2026-03-01T10:00:00Z');
      assert.equal(await counter.hitAll([q, q], now), null);
      assert.equal((await counter.hitAll([q, q], now + 1))?.quota, q, '2 + 2 > 3');
      assert.equal(await counter.hitAll([q], now + 2), null);
      assert.equal((await counter.peek(q.key, 3, 60, now + 3)).count, 3);
    });

    test('windows longer than the longest allowed are refused (prune could not keep them)', async () => {
      await assert.rejects(counter.hitAll([{ key: fresh('x'), limit: 1, windowSeconds: DAY + 1 }]), /windowSeconds/);
      await assert.rejects(counter.peek(fresh('x'), 1, 0), /windowSeconds/);
    });

    test('release: hit then release restores the count and the decision; never below zero; only the sub-window of `at`', async () => {
      const key = fresh('otpfail:mobile');
      const t0 = at('2026-03-01T10:00:00Z');
      await counter.hit(key, 3, DAY, t0);
      await counter.hit(key, 3, DAY, t0 + 1000);
      const before = await counter.peek(key, 3, DAY, t0 + 5000);
      assert.deepEqual(before, { allowed: true, count: 2, retryAfter: 0 });
      const reserved = await counter.hit(key, 3, DAY, t0 + 2000);
      assert.equal(reserved.allowed, true);
      assert.equal((await counter.peek(key, 3, DAY, t0 + 5000)).allowed, false, 'the reservation fills the quota');
      await counter.release(key, DAY, t0 + 2000);
      assert.deepEqual(await counter.peek(key, 3, DAY, t0 + 5000), before);
      // A time in another sub-window (72 min each) takes nothing from this one.
      await counter.release(key, DAY, t0 + 2 * HOUR * 1000);
      assert.equal((await counter.peek(key, 3, DAY, t0 + 2 * HOUR * 1000)).count, 2);
      for (let i = 0; i < 4; i++) await counter.release(key, DAY, t0);
      assert.equal((await counter.peek(key, 3, DAY, t0 + 5000)).count, 0, 'never below zero');
      assert.equal((await counter.hit(key, 3, DAY, t0 + 6000)).count, 1, 'the next hit counts from zero');
      const never = fresh('never');
      await counter.release(never, 60, t0);
      assert.equal((await counter.peek(never, 1, 60, t0)).count, 0, 'a key never hit stays at zero');
    });

    test('property: hits and releases count as a model of sub-windows that never goes below zero', async () => {
      const scenario = fc.record({
        windowSeconds: fc.constantFrom(1, 60, 3600),
        start: fc.integer({ min: at('2026-01-01T00:00:00Z'), max: at('2027-01-01T00:00:00Z') }),
        ops: fc.array(
          fc.record({ release: fc.boolean(), gap: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 0.3, noNaN: true })), back: fc.double({ min: 0, max: 0.2, noNaN: true }) }),
          { minLength: 1, maxLength: 40 },
        ),
      });
      await fc.assert(
        fc.asyncProperty(scenario, async ({ windowSeconds, start, ops }) => {
          const key = fresh('model');
          const windowMs = windowSeconds * 1000;
          const sub = windowMs / 20;
          const model = new Map<number, number>();
          let now = start;
          for (const op of ops) {
            now += Math.floor(op.gap * windowMs);
            if (op.release) {
              // Release for a time at or a little before now: the sub-window of that time only.
              const when = now - Math.floor(op.back * windowMs);
              await counter.release(key, windowSeconds, when);
              const start = Math.floor(when / sub) * sub;
              model.set(start, Math.max(0, (model.get(start) ?? 0) - 1));
            } else {
              await counter.hit(key, 1_000, windowSeconds, now);
              const start = Math.floor(now / sub) * sub;
              model.set(start, (model.get(start) ?? 0) + 1);
            }
            const oldest = Math.floor((now - windowMs) / sub) * sub;
            const expected = [...model].filter(([s]) => s >= oldest && s <= Math.floor(now / sub) * sub + sub).reduce((n, [, c]) => n + c, 0);
            assert.equal((await counter.peek(key, 1_000, windowSeconds, now)).count, expected);
          }
        }),
        { numRuns: 150 },
      );
    });

    test('hitUnless: 30 racing wrong tries count exactly the limit; free ones (right codes) count nothing, even at once', async () => {
      const key = fresh('otpfail:mobile');
      const now = at('2026-03-01T10:00:00Z');
      let compared = 0;
      const wrong = await Promise.all(
        Array.from({ length: 30 }, () =>
          counter.hitUnless(key, 15, DAY, () => (compared++, false), now),
        ),
      );
      assert.equal(wrong.filter((d) => d?.allowed).length, 15);
      assert.equal(compared, 15, 'a try beyond the limit is never compared');
      const refused = wrong.find((d) => d !== null && !d.allowed);
      assert.ok(refused && refused.retryAfter > 0 && refused.retryAfter <= DAY + DAY / 20, 'a refusal says when the oldest try leaves the day');
      assert.equal((await counter.peek(key, 15, DAY, now)).count, 15);
      // 10 wrong ones counted on another mobile, then 20 right tries at once: none is counted. (Redis
      // reserves before it compares, so racing reservations may briefly fill the day: a right try
      // among them may be refused, never counted.)
      const other = fresh('otpfail:mobile');
      for (let i = 0; i < 10; i++) assert.equal((await counter.hitUnless(other, 15, DAY, () => false, now))?.count, i + 1);
      const right = await Promise.all(Array.from({ length: 20 }, () => counter.hitUnless(other, 15, DAY, () => true, now)));
      assert.ok(right.every((d) => d === null || !d.allowed));
      assert.ok(right.filter((d) => d === null).length >= (name === 'SQLite' ? 20 : 5), 'the tries left were admitted');
      assert.deepEqual(await counter.peek(other, 15, DAY, now), { allowed: true, count: 10, retryAfter: 0 });
    });

    test('figure: µs per hitAll of the four SMS quotas (steady state, ~21 rows per key)', async (t) => {
      const quotas = [
        { key: fresh('sms:ip'), limit: 1e9, windowSeconds: HOUR },
        { key: fresh('sms:client'), limit: 1e9, windowSeconds: HOUR },
        { key: fresh('sms:global'), limit: 1e9, windowSeconds: 60 },
        { key: fresh('sms:mobile'), limit: 1e9, windowSeconds: HOUR },
      ];
      const t0 = at('2026-03-01T10:00:00Z');
      const n = 5_000;
      // One event every 180 ms: an hour's window fills all 21 of its sub-windows.
      const span = (i: number) => t0 + i * 180;
      for (let i = 0; i < n; i++) await counter.hitAll(quotas, span(i));
      const started = process.hrtime.bigint();
      for (let i = n; i < 2 * n; i++) await counter.hitAll(quotas, span(i));
      const us = Number(process.hrtime.bigint() - started) / 1000 / n;
      t.diagnostic(`${name} hitAll, 4 quotas: ${us.toFixed(1)} µs`);
      assert.ok(us < 5000);
    });
  });
}

test('SQLite: prune keeps every row a window still counts and drops the rest', async () => {
  const counter = new SqliteRateCounter(db);
  const sum = db.prepare<[string], { n: number | null }>('SELECT sum(count) AS n FROM rate_counters WHERE key = ?');
  const storedCounts = (keys: readonly string[]) => keys.filter((k) => sum.get(k)?.n != null);
  const day = { key: fresh('otpfail:mobile'), limit: 2, windowSeconds: DAY };
  const minute = { key: fresh('sms:global'), limit: 2, windowSeconds: 60 };
  const t0 = at('2026-03-01T12:00:00Z');
  for (let i = 0; i < 2; i++) assert.equal(await counter.hitAll([day, minute], t0 + i), null);
  const releasedAt = t0 + (await counter.peek(day.key, 2, DAY, t0 + 2)).retryAfter * 1000;
  // Pruning at any moment the day's row is still counted leaves the lock in place.
  for (const when of [t0 + HOUR * 1000, t0 + DAY * 1000, releasedAt - 1]) {
    await counter.prune(when);
    assert.equal((await counter.peek(day.key, 2, DAY, when)).allowed, false, new Date(when).toISOString());
  }
  await counter.prune(releasedAt + 2 * DAY * 1000);
  assert.deepEqual(storedCounts([day.key, minute.key]), []);
});
