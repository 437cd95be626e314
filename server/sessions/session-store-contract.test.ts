// One contract, two stores: the same cases run against SQLite (SqliteSessionStore, SqliteSessionLinks,
// SqliteAuditLog, ExpirySweeper) and against Redis + PostgreSQL (RedisSessionStore, RedisSessionLinks,
// PostgresAuditLog, RedisExpirySweeper), on real servers. Then what only the split store has to
// prove: two processes, a Redis that lost or replayed a session, a crash between the steps of a
// decision, Redis away.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { createTestDatabase } from '../../test-support/postgres.ts';
import { connectTestRedis } from '../../test-support/redis.ts';
import { connectTestRedisCluster } from '../../test-support/redis-cluster.ts';
import { type AuditEvent, type AuditLog, SqliteAuditLog } from '../consent/audit.ts';
import { PostgresAuditLog } from '../consent/postgres-audit.ts';
import { closeRedisClient, createRedisClient, type RedisClient } from '../store/redis.ts';
import { type Db, openDatabase } from '../store/database.ts';
import { query } from '../store/postgres/pool.ts';
import { DatabaseUnavailableError } from '../store/unavailable.ts';
import { WebhookOutbox } from '../webhooks/outbox.ts';
import { ExpirySweeper } from '../webhooks/sweeper.ts';
import { type SessionLinks, SqliteSessionLinks } from './link-store.ts';
import { RedisSessionLinks } from './redis-link-store.ts';
import { RedisExpirySweeper, RedisSessionStore } from './redis-session-store.ts';
import { type NewSession, type OtpIssue, type SessionStore, SqliteSessionStore } from './session-store.ts';

const ISSUER = 'https://kycvs.test';
const HOOKED = 'client-hooked';
const PLAIN = 'client-plain';

interface StoredEvent {
  type: string;
  data: { session_id: string; client_id: string; nonce: string | null; token?: string; reason?: string };
}

/** One implementation under the contract, and what the tests need to look at behind it. */
interface Impl {
  name: string;
  sessions: SessionStore;
  links: SessionLinks;
  audit: AuditLog;
  sweep(now: number): Promise<number>;
  /** The session's one terminal webhook event, as written. */
  event(sessionId: string): Promise<StoredEvent | null>;
  /** Test-only: write an audit record directly (paging tests). */
  insertAudit(e: AuditEvent): Promise<void>;
}

// --- SQLite
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kycvs-contract-'));
const db: Db = openDatabase(path.join(dir, 'kycvs.sqlite'));
after(() => {
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});
for (const [id, url] of [[HOOKED, 'https://hooks.test/x'], [PLAIN, null]] as const) {
  db.prepare(`INSERT INTO clients (id, name, purpose, allowed_origins, status, created_at, webhook_url) VALUES (?, 'C', 'P', '[]', 'active', 0, ?)`).run(id, url);
}
const sqliteOutbox = new WebhookOutbox(db);
const sqliteSweeper = new ExpirySweeper(db, sqliteOutbox, 0);
const sqliteAuditInsert = db.prepare(
  'INSERT INTO audit_events (at, client_id, session_id, purpose, event, vaccination_status, subject, token_jti) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
);
const sqlite: Impl = {
  name: 'SQLite',
  sessions: new SqliteSessionStore(db, sqliteOutbox),
  links: new SqliteSessionLinks(db, ISSUER),
  audit: new SqliteAuditLog(db),
  // Whether the sweep is sync (today) or async.
  sweep: async (now) => Promise.resolve(sqliteSweeper.sweep(now)),
  event: async (id) => {
    const row = db.prepare<[string], { payload: string }>('SELECT payload FROM webhook_events WHERE session_id = ?').get(id);
    return row ? (JSON.parse(row.payload) as StoredEvent) : null;
  },
  insertAudit: async (e) => {
    sqliteAuditInsert.run(e.at, e.clientId, e.sessionId, e.purpose, e.event, e.vaccinationStatus, e.subject, e.tokenJti);
  },
};

// --- Redis + PostgreSQL
const pg = await createTestDatabase();
const { redis, prefix } = await connectTestRedis();
for (const [id, url] of [[HOOKED, 'https://hooks.test/x'], [PLAIN, null]] as const) {
  await query(pg.pool, `INSERT INTO clients (id, name, purpose, allowed_origins, status, created_at, webhook_url) VALUES ($1, 'C', 'P', '[]', 'active', 0, $2)`, [id, url]);
}
const SESSION_TTL_MS = 600_000;
const redisStore = new RedisSessionStore(redis, pg.pool, { prefix, claimLeaseMs: 2_000 });
const redisSweeper = new RedisExpirySweeper(redisStore, 0);
const postgresEvent = async (id: string) => {
  const { rows } = await query<{ payload: string }>(pg.pool, 'SELECT payload FROM webhook_events WHERE session_id = $1', [id]);
  return rows[0] ? (JSON.parse(rows[0].payload) as StoredEvent) : null;
};
const split: Impl = {
  name: 'Redis + PostgreSQL',
  sessions: redisStore,
  links: new RedisSessionLinks(redis, ISSUER, { prefix, ttlMs: SESSION_TTL_MS }),
  audit: new PostgresAuditLog(pg.pool),
  sweep: (now) => redisSweeper.sweep(now),
  event: postgresEvent,
  insertAudit: async (e) => {
    await query(
      pg.pool,
      'INSERT INTO audit_events (session_id, at, client_id, purpose, event, vaccination_status, subject, token_jti) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
      [e.sessionId, e.at, e.clientId, e.purpose, e.event, e.vaccinationStatus, e.subject, e.tokenJti],
    );
  },
};

// --- Redis Cluster + PostgreSQL: every session in a slot of its own, the sweep's sets in 16 shards
// (a database of its own: audit paging counts a client's records).
const clusterPg = await createTestDatabase();
for (const [id, url] of [[HOOKED, 'https://hooks.test/x'], [PLAIN, null]] as const) {
  await query(clusterPg.pool, `INSERT INTO clients (id, name, purpose, allowed_origins, status, created_at, webhook_url) VALUES ($1, 'C', 'P', '[]', 'active', 0, $2)`, [id, url]);
}
const cluster = await connectTestRedisCluster();
const clusterStore = new RedisSessionStore(cluster.redis, clusterPg.pool, { prefix: cluster.prefix, claimLeaseMs: 2_000, sweepShards: 16 });
const clusterSweeper = new RedisExpirySweeper(clusterStore, 0);
const onCluster: Impl = {
  name: 'Redis Cluster + PostgreSQL',
  sessions: clusterStore,
  links: new RedisSessionLinks(cluster.redis, ISSUER, { prefix: cluster.prefix, ttlMs: SESSION_TTL_MS }),
  audit: new PostgresAuditLog(clusterPg.pool),
  sweep: (now) => clusterSweeper.sweep(now),
  event: async (id) => {
    const { rows } = await query<{ payload: string }>(clusterPg.pool, 'SELECT payload FROM webhook_events WHERE session_id = $1', [id]);
    return rows[0] ? (JSON.parse(rows[0].payload) as StoredEvent) : null;
  },
  insertAudit: async (e) => {
    await query(
      clusterPg.pool,
      'INSERT INTO audit_events (session_id, at, client_id, purpose, event, vaccination_status, subject, token_jti) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
      [e.sessionId, e.at, e.clientId, e.purpose, e.event, e.vaccinationStatus, e.subject, e.tokenJti],
    );
  },
};

// --- fixtures
let seq = 0;
function newSession(clientId = PLAIN, over: Partial<NewSession> = {}): NewSession {
  const now = Date.now();
  return { id: `ses_${process.pid}_${seq++}_${crypto.randomBytes(3).toString('hex')}`, clientId, mode: 'server', origin: null, purpose: 'Entry', nonce: 'n-1', createdAt: now, expiresAt: now + SESSION_TTL_MS, ...over };
}
const otpIssue = (over: Partial<OtpIssue> = {}): OtpIssue => ({
  mobileHash: crypto.randomBytes(32),
  nameHash: crypto.randomBytes(32),
  otpHash: crypto.randomBytes(32),
  otpSha256Hash: null,
  sentAt: Date.now(),
  otpExpiresAt: Date.now() + 300_000,
  vaccinationStatus: 2,
  nameMatched: true,
  subject: 'sub-1',
  ...over,
});
const auditFor = (s: NewSession, event: 'allow' | 'deny', jti: string | null = null): AuditEvent => ({
  at: Date.now(),
  clientId: s.clientId,
  sessionId: s.id,
  purpose: s.purpose,
  event,
  vaccinationStatus: event === 'allow' ? 2 : null,
  subject: 'sub-1',
  tokenJti: jti,
});
const tokenFor = () => {
  const jti = crypto.randomUUID();
  return { token: `tok.${jti}`, jti };
};

/** A session in `verified`, through the store's own transitions. */
async function verifiedSession(store: SessionStore, clientId = PLAIN): Promise<{ s: NewSession; otp: OtpIssue }> {
  const s = newSession(clientId);
  const otp = otpIssue();
  await store.createWithOtp(s, otp);
  assert.equal(await store.markVerified(s.id, otp.otpHash, crypto.randomBytes(32), 'frame'), true);
  return { s, otp };
}

for (const impl of [sqlite, split, onCluster]) {
  describe(`SessionStore contract: ${impl.name}`, () => {
    const store = impl.sessions;

    test('create and get give back every field; unknown ids are null', async () => {
      const s = newSession(PLAIN, { mode: 'widget', origin: 'https://host.test', nonce: null });
      await store.create(s);
      const got = await store.get(s.id);
      assert.deepEqual(got, {
        ...s,
        state: 'created',
        mobileHash: null, nameHash: null, personFixedBy: null, otpHash: null, otpSha256Hash: null, otpSentAt: null, otpExpiresAt: null,
        sends: 0, failedAttempts: 0, vaccinationStatus: null, nameMatched: null, subject: null, consentTicketHash: null,
        ticketHolder: null, nameTries: 0, token: null, tokenJti: null, completedAt: null,
      });
      assert.equal(await store.get('ses_nope'), null);
    });

    test('createWithOtp: code sent, person fixed by the backend, bytes intact', async () => {
      const s = newSession();
      const otp = otpIssue({ otpSha256Hash: Buffer.from([0, 255, 10, 13, 0]), nameMatched: false, vaccinationStatus: 0 });
      await store.createWithOtp(s, otp);
      const got = (await store.get(s.id))!;
      assert.equal(got.state, 'otp_sent');
      assert.equal(got.sends, 1);
      assert.equal(got.personFixedBy, 'backend');
      assert.deepEqual(got.otpHash, otp.otpHash);
      assert.deepEqual(got.otpSha256Hash, otp.otpSha256Hash);
      assert.deepEqual(got.mobileHash, otp.mobileHash);
      assert.equal(got.nameMatched, false);
      assert.equal(got.vaccinationStatus, 0);
      assert.equal(got.otpSentAt, otp.sentAt);
    });

    test('recordOtpSent: compare-and-set on sends; the first code fixes the person', async () => {
      const s = newSession();
      await store.create(s);
      const first = otpIssue();
      assert.equal(await store.recordOtpSent(s.id, 1, first), false, 'wrong previous count');
      assert.equal(await store.recordOtpSent(s.id, 0, first), true);
      assert.equal(await store.recordOtpSent(s.id, 0, first), false, 'the same send twice');
      assert.equal(await store.recordOtpSent(s.id, 1, otpIssue()), false, 'someone else');
      const again = otpIssue({ mobileHash: first.mobileHash, nameHash: first.nameHash });
      assert.equal(await store.recordOtpSent(s.id, 1, again), true);
      const got = (await store.get(s.id))!;
      assert.equal(got.sends, 2);
      assert.equal(got.personFixedBy, 'citizen');
      assert.deepEqual(got.otpHash, again.otpHash);
      assert.equal(got.otpSha256Hash, null);
    });

    test('recordWrongOtp counts, locks at the limit with the code gone, and the lock has its session.failed event', async () => {
      const s = newSession(HOOKED);
      await store.createWithOtp(s, otpIssue());
      assert.deepEqual(await store.recordWrongOtp(s.id, 3), { failedAttempts: 1, state: 'otp_sent' });
      assert.deepEqual(await store.recordWrongOtp(s.id, 3), { failedAttempts: 2, state: 'otp_sent' });
      assert.deepEqual(await store.recordWrongOtp(s.id, 3), { failedAttempts: 3, state: 'locked' });
      assert.equal(await store.recordWrongOtp(s.id, 3), null);
      const got = (await store.get(s.id))!;
      assert.equal(got.otpHash, null);
      const event = await impl.event(s.id);
      assert.equal(event?.type, 'session.failed');
      assert.deepEqual(event?.data, { session_id: s.id, client_id: HOOKED, nonce: 'n-1', reason: 'otp_locked' });
    });

    test('markVerified only with the stored code, once', async () => {
      const s = newSession();
      const otp = otpIssue();
      await store.createWithOtp(s, otp);
      const ticket = crypto.randomBytes(32);
      assert.equal(await store.markVerified(s.id, crypto.randomBytes(32), ticket, 'backend'), false);
      assert.equal(await store.markVerified(s.id, otp.otpHash, ticket, 'backend'), true);
      assert.equal(await store.markVerified(s.id, otp.otpHash, ticket, 'backend'), false);
      const got = (await store.get(s.id))!;
      assert.equal(got.state, 'verified');
      assert.equal(got.otpHash, null);
      assert.deepEqual(got.consentTicketHash, ticket);
      assert.equal(got.ticketHolder, 'backend');
    });

    test('recordNameTry: only on a citizen-fixed, unmatched, frame-held session, counted', async () => {
      const s = newSession();
      await store.create(s);
      const otp = otpIssue({ nameMatched: false });
      await store.recordOtpSent(s.id, 0, otp);
      await store.markVerified(s.id, otp.otpHash, crypto.randomBytes(32), 'frame');
      assert.equal(await store.recordNameTry(s.id, 1, 3, null), false, 'wrong count');
      assert.equal(await store.recordNameTry(s.id, 0, 3, null), true);
      const person = { nameHash: crypto.randomBytes(32), vaccinationStatus: 1 as const, subject: 'sub-2' };
      assert.equal(await store.recordNameTry(s.id, 1, 3, person), true);
      assert.equal(await store.recordNameTry(s.id, 2, 3, null), false, 'matched now');
      const got = (await store.get(s.id))!;
      assert.equal(got.nameTries, 2);
      assert.equal(got.nameMatched, true);
      assert.deepEqual(got.nameHash, person.nameHash);
      assert.equal(got.subject, 'sub-2');
      assert.equal(got.vaccinationStatus, 1);
      // A backend-fixed session never takes name tries.
      const { s: fixed } = await verifiedSession(store);
      assert.equal(await store.recordNameTry(fixed.id, 0, 3, null), false);
    });

    test('allow: completed with its token, audit record and completed event; once', async () => {
      const { s } = await verifiedSession(store, HOOKED);
      const token = tokenFor();
      const audit = auditFor(s, 'allow', token.jti);
      assert.equal(await store.complete(s.id, 'allow', null, token, audit), true);
      assert.equal(await store.complete(s.id, 'allow', null, tokenFor(), audit), false);
      assert.equal(await store.deny(s.id, auditFor(s, 'deny')), false);
      const got = (await store.get(s.id))!;
      assert.equal(got.state, 'completed');
      assert.equal(got.token, token.token);
      assert.equal(got.tokenJti, token.jti);
      assert.equal(got.completedAt, audit.at);
      assert.deepEqual(await impl.audit.forSession(s.id), [audit]);
      const event = await impl.event(s.id);
      assert.equal(event?.type, 'session.completed');
      assert.deepEqual(event?.data, { session_id: s.id, client_id: HOOKED, nonce: 'n-1', token: token.token });
    });

    test('consent_with_code: from otp_sent, only while the stored code is the one checked', async () => {
      const s = newSession();
      const otp = otpIssue();
      await store.createWithOtp(s, otp);
      const token = tokenFor();
      assert.equal(await store.complete(s.id, 'consent_with_code', crypto.randomBytes(32), token, auditFor(s, 'allow', token.jti)), false);
      assert.equal(await store.complete(s.id, 'allow', null, token, auditFor(s, 'allow', token.jti)), false, 'allow needs verified');
      assert.equal(await store.complete(s.id, 'consent_with_code', otp.otpHash, token, auditFor(s, 'allow', token.jti)), true);
      const got = (await store.get(s.id))!;
      assert.equal(got.state, 'completed');
      assert.equal(got.otpHash, null);
      assert.equal(got.token, token.token);
      assert.equal(await impl.event(s.id), null, 'no webhook, no event');
      assert.equal((await impl.audit.forSession(s.id)).length, 1);
    });

    test('deny: denied with audit record and denied event', async () => {
      const { s } = await verifiedSession(store, HOOKED);
      const audit = auditFor(s, 'deny');
      assert.equal(await store.deny(s.id, audit), true);
      assert.equal(await store.deny(s.id, audit), false);
      const got = (await store.get(s.id))!;
      assert.equal(got.state, 'denied');
      assert.equal(got.token, null);
      assert.equal(got.completedAt, audit.at);
      assert.deepEqual(await impl.audit.forSession(s.id), [audit]);
      assert.equal((await impl.event(s.id))?.type, 'session.denied');
    });

    test('20 racing verifies: one wins; 20 racing decisions: one token, one audit record, one event', async () => {
      const s = newSession(HOOKED);
      const otp = otpIssue();
      await store.createWithOtp(s, otp);
      const verifies = await Promise.all(Array.from({ length: 20 }, () => store.markVerified(s.id, otp.otpHash, crypto.randomBytes(32), 'frame')));
      assert.equal(verifies.filter(Boolean).length, 1);
      const tokens = Array.from({ length: 20 }, tokenFor);
      const decisions = await Promise.all(
        tokens.map((t, i) => (i % 4 === 3 ? store.deny(s.id, auditFor(s, 'deny')) : store.complete(s.id, 'allow', null, t, auditFor(s, 'allow', t.jti)))),
      );
      assert.equal(decisions.filter(Boolean).length, 1);
      const records = await impl.audit.forSession(s.id);
      assert.equal(records.length, 1);
      const got = (await store.get(s.id))!;
      assert.equal(got.state, records[0]!.event === 'allow' ? 'completed' : 'denied');
      assert.equal(got.tokenJti, records[0]!.tokenJti);
      const event = await impl.event(s.id);
      assert.equal(event?.type, got.state === 'completed' ? 'session.completed' : 'session.denied');
      if (got.state === 'completed') assert.equal(event?.data.token, got.token);
    });

    test('20 racing wrong codes against a limit of 5: five counted, one lock, one failed event', async () => {
      const s = newSession(HOOKED);
      await store.createWithOtp(s, otpIssue());
      const results = await Promise.all(Array.from({ length: 20 }, () => store.recordWrongOtp(s.id, 5)));
      assert.equal(results.filter((r) => r !== null).length, 5);
      assert.equal(results.filter((r) => r?.state === 'locked').length, 1);
      assert.equal((await impl.event(s.id))?.type, 'session.failed');
    });

    test('expiry: an undecided session of a webhook client ends expired with its event; others are left as they are', async () => {
      const now = Date.now();
      const hooked = newSession(HOOKED, { expiresAt: now + 100 });
      const plain = newSession(PLAIN, { expiresAt: now + 100 });
      const decided = newSession(HOOKED, { expiresAt: now + 100 });
      await store.create(hooked);
      await store.create(plain);
      const otp = otpIssue();
      await store.createWithOtp(decided, otp);
      await store.markVerified(decided.id, otp.otpHash, crypto.randomBytes(32), 'frame');
      await store.deny(decided.id, auditFor(decided, 'deny'));
      assert.ok((await impl.sweep(now + 1_000)) >= 1);
      assert.equal((await store.get(hooked.id))!.state, 'expired');
      assert.equal((await store.get(plain.id))!.state, 'created');
      assert.equal((await store.get(decided.id))!.state, 'denied');
      const event = await impl.event(hooked.id);
      assert.equal(event?.type, 'session.expired');
      assert.deepEqual(event?.data, { session_id: hooked.id, client_id: HOOKED, nonce: 'n-1' });
      assert.equal(event && Date.parse((event as unknown as { timestamp: string }).timestamp), hooked.expiresAt);
      assert.equal((await impl.event(decided.id))?.type, 'session.denied');
      // Nothing twice.
      assert.equal(await impl.sweep(now + 2_000), 0);
    });

    test('a Share racing the expiry sweep: exactly one of completed and expired', async () => {
      for (let round = 0; round < 5; round++) {
        const now = Date.now();
        const s = newSession(HOOKED, { expiresAt: now + 100 });
        const otp = otpIssue();
        await store.createWithOtp(s, otp);
        await store.markVerified(s.id, otp.otpHash, crypto.randomBytes(32), 'frame');
        const token = tokenFor();
        const [shared] = await Promise.all([store.complete(s.id, 'allow', null, token, auditFor(s, 'allow', token.jti)), impl.sweep(now + 1_000)]);
        const got = (await store.get(s.id))!;
        const event = await impl.event(s.id);
        if (shared) {
          assert.equal(got.state, 'completed');
          assert.equal(event?.type, 'session.completed');
        } else {
          assert.equal(got.state, 'expired');
          assert.equal(event?.type, 'session.expired');
          assert.deepEqual(await impl.audit.forSession(s.id), []);
        }
      }
    });
  });

  describe(`SessionLinks contract: ${impl.name}`, () => {
    test('a link opens its session; anything else opens nothing', async () => {
      const s = newSession();
      await impl.sessions.create(s);
      const url = await impl.links.create(s.id);
      assert.ok(url.startsWith(`${ISSUER}/v/`));
      const code = url.slice(`${ISSUER}/v/`.length);
      assert.equal(await impl.links.sessionFor(code), s.id);
      assert.equal(await impl.links.sessionFor('A'.repeat(22)), null);
      assert.equal(await impl.links.sessionFor('../../etc'), null);
    });
  });

  describe(`AuditLog contract: ${impl.name}`, () => {
    test('forSubjects: newest first across subjects, paged by (at, id); count', async () => {
      const before = await impl.audit.count();
      const base = 1_700_000_000_000;
      const subjects = [`subA-${seq}`, `subB-${seq}`];
      const made: AuditEvent[] = [];
      for (let i = 0; i < 7; i++) {
        // Two records share each instant: the id breaks the tie.
        const e: AuditEvent = { ...auditFor(newSession(), i % 2 ? 'deny' : 'allow', i % 2 ? null : `jti-${i}`), at: base + Math.floor(i / 2), subject: subjects[i % 2]! };
        made.push(e);
        await impl.insertAudit(e);
      }
      await impl.insertAudit({ ...auditFor(newSession(), 'deny'), subject: 'someone-else' });
      assert.equal(await impl.audit.count(), before + 8);
      const first = await impl.audit.forSubjects(subjects, 3);
      assert.deepEqual(first.map((e) => e.sessionId), [made[6]!, made[5]!, made[4]!].map((e) => e.sessionId));
      const last = first[first.length - 1]!;
      const rest = await impl.audit.forSubjects(subjects, 10, { at: last.at, id: last.id });
      assert.deepEqual(rest.map((e) => e.sessionId), [3, 2, 1, 0].map((i) => made[i]!.sessionId));
      const { id: _id, ...plain } = rest[0]!;
      assert.deepEqual(plain, made[3]);
      assert.deepEqual(await impl.audit.forSubjects(['nobody'], 10), []);
    });
  });
}

describe('Redis + PostgreSQL only', () => {
  test('two processes (own Redis clients and pools): 20 racing decisions split between them, one stands', async () => {
    const other = (await connectTestRedis()).redis;
    const b = new RedisSessionStore(other, pg.newPool(), { prefix });
    const { s } = await verifiedSession(redisStore, HOOKED);
    const tokens = Array.from({ length: 20 }, tokenFor);
    const results = await Promise.all(tokens.map((t, i) => (i % 2 ? b : redisStore).complete(s.id, 'allow', null, t, auditFor(s, 'allow', t.jti))));
    assert.equal(results.filter(Boolean).length, 1);
    const winner = tokens[results.indexOf(true)]!;
    assert.equal((await b.get(s.id))!.token, winner.token);
    assert.deepEqual((await split.audit.forSession(s.id)).map((e) => e.tokenJti), [winner.jti]);
  });

  test('two processes sweeping at once: each expired session ends once, with one event', async () => {
    const b = new RedisSessionStore((await connectTestRedis()).redis, pg.newPool(), { prefix });
    const now = Date.now();
    const made = Array.from({ length: 30 }, () => newSession(HOOKED, { expiresAt: now + 50 }));
    for (const s of made) await redisStore.create(s);
    const [x, y] = await Promise.all([redisStore.expireDue(now + 1_000, 0, 7), b.expireDue(now + 1_000, 0, 7)]);
    let total = x + y;
    while (true) {
      const n = await redisStore.expireDue(now + 1_000, 0, 100);
      if (n === 0) break;
      total += n;
    }
    assert.equal(total, 30);
    for (const s of made) assert.equal((await postgresEvent(s.id))?.type, 'session.expired');
  });

  test('Redis replayed a decided session: the second decision loses in PostgreSQL, and Redis is put back to its decision', async () => {
    const { s } = await verifiedSession(redisStore, HOOKED);
    const first = tokenFor();
    assert.equal(await redisStore.complete(s.id, 'allow', null, first, auditFor(s, 'allow', first.jti)), true);
    // An older copy of the session comes back (failover to a replica that missed the write).
    await redis.hset(`${prefix}session:${s.id}`, 'state', 'verified');
    await redis.hdel(`${prefix}session:${s.id}`, 'token', 'token_jti', 'completed_at');
    assert.equal(await redisStore.deny(s.id, auditFor(s, 'deny')), false);
    const got = (await redisStore.get(s.id))!;
    assert.equal(got.state, 'completed');
    assert.equal(got.tokenJti, first.jti);
    assert.equal(got.token, first.token, 'from the completed event');
    assert.deepEqual((await split.audit.forSession(s.id)).map((e) => e.event), ['allow']);
  });

  test('a crash after the commit: the stale claim is settled from PostgreSQL, with the claimed token', async () => {
    const { s } = await verifiedSession(redisStore);
    const t = tokenFor();
    const key = `${prefix}session:${s.id}`;
    // Step 1 and 2 happened, step 3 did not: the claim is there, its lease over, the audit record committed.
    await redis.hset(key, 'claim_id', 'c1', 'claim_until', Date.now() - 1, 'claim_state', 'completed', 'claim_token', t.token, 'claim_jti', t.jti, 'claim_at', 123);
    await split.insertAudit(auditFor(s, 'allow', t.jti));
    const got = (await redisStore.get(s.id))!;
    assert.equal(got.state, 'completed');
    assert.equal(got.token, t.token);
    assert.equal(got.completedAt, 123);
    assert.equal(await redis.hexists(key, 'claim_id'), 0);
  });

  test('a crash before the commit: the stale claim is released and the citizen can decide again', async () => {
    const { s } = await verifiedSession(redisStore);
    const key = `${prefix}session:${s.id}`;
    await redis.hset(key, 'claim_id', 'c1', 'claim_until', Date.now() + 300, 'claim_state', 'completed', 'claim_token', 'lost', 'claim_jti', 'lost');
    assert.equal(await redisStore.deny(s.id, auditFor(s, 'deny')), false, 'a decision in flight holds the session');
    assert.equal((await redisStore.get(s.id))!.state, 'verified');
    await new Promise((r) => setTimeout(r, 350));
    assert.equal(await redisStore.deny(s.id, auditFor(s, 'deny')), true);
    assert.equal((await redisStore.get(s.id))!.state, 'denied');
  });

  test('session keys live until expiresAt plus the retention; links for the session lifetime', async () => {
    const s = newSession();
    await redisStore.create(s);
    const at = await redis.pexpiretime(`${prefix}session:${s.id}`);
    assert.equal(at, s.expiresAt + 86_400_000);
    const url = await split.links.create(s.id);
    const ttl = await redis.pttl(`${prefix}link:${crypto.createHash('sha256').update(url.split('/v/')[1]!).digest('hex')}`);
    assert.ok(ttl > SESSION_TTL_MS - 5_000 && ttl <= SESSION_TTL_MS);
  });

  test('Redis unreachable: DatabaseUnavailableError from sessions and links', async () => {
    const away: RedisClient = createRedisClient('redis://127.0.0.1:1');
    try {
      const store = new RedisSessionStore(away, pg.pool, { prefix });
      await assert.rejects(store.get('ses_x'), DatabaseUnavailableError);
      await assert.rejects(store.create(newSession()), DatabaseUnavailableError);
      await assert.rejects(store.markVerified('ses_x', Buffer.alloc(32), Buffer.alloc(32), 'frame'), DatabaseUnavailableError);
      await assert.rejects(new RedisSessionLinks(away, ISSUER, { prefix, ttlMs: 1_000 }).create('ses_x'), DatabaseUnavailableError);
    } finally {
      await closeRedisClient(away);
    }
  });
});

