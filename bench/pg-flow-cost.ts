// What one server-to-server verification costs PostgreSQL, measured, and projected to 55,000
// requests/s (issue 13, "short-lived, write-heavy state"); the same rate counters in Redis beside it.
//
//   node --import tsx bench/pg-flow-cost.ts [--smoke]      (or: npm run bench -- --only pg-cost)
//
// It replays, against a throw-away database on the test PostgreSQL (test-support/postgres-server.ts,
// 127.0.0.1 only), the statements today's SQLite stores run for one flow — create with mobile and
// name, verify, consent allow: 3 HTTP requests — translated 1:1, with the same compare-and-set
// WHERE clauses (state IN (…) from server/sessions/transitions.ts). No service, no HTTP: only the
// database's share. Then PostgreSQL's share if sessions, links and counters lived in Redis, and
// that short-lived state in Redis 127.0.0.1:6379 (the quotas' hitAll as one Lua script). The
// decision it supports is written in docs/scaling.md.
import crypto from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';
import { RedisRateCounter } from '../server/quotas/redis-rate-counter.ts';
import { TRANSITIONS, fromStatesSql } from '../server/sessions/transitions.ts';
import { migrate } from '../server/store/postgres/migrate.ts';
import { createPool } from '../server/store/postgres/pool.ts';
import { createScratchDatabase } from '../test-support/postgres-server.ts';
import { deleteKeysUnder } from '../test-support/redis-keys.ts';
import { cpuSecondsOf } from './lib/child.ts';
import { type BenchOptions, type ModuleResult, moduleMain, progress, row } from './lib/report.ts';
import { fmt, median } from './lib/stats.ts';

const FULL = { flows: 2_000, clients: 4, attributionFlows: 200, registry: 20_000, redisSeconds: 3 };
const SMOKE = { flows: 40, clients: 2, attributionFlows: 10, registry: 200, redisSeconds: 0.2 };

/** Co-WIN's peak, the target. */
const TARGET_REQUESTS_PER_SECOND = 55_000;
/** Server-to-server over the HTTP API: POST /v1/sessions (with mobile, name), POST …/verify, POST …/consent. */
const REQUESTS_PER_FLOW = 3;
const TARGET_FLOWS_PER_SECOND = TARGET_REQUESTS_PER_SECOND / REQUESTS_PER_FLOW;

const SUB_WINDOWS = 20; // SqliteRateCounter's default
const DAY = 86_400;
const HOUR = 3_600;
/** Limits far above what the run reaches: this measures the cost of counting, not refusals. */
const HUGE = 1e12;

// ---------------------------------------------------------------------------------------------
// Counting what the flow sends: every statement, round trip and commit goes through `Conn`.

interface Tally {
  statements: number;
  roundTrips: number;
  /** Commits: explicit transactions plus autocommitted statements. */
  transactions: number;
  /** Of those, the ones that wrote (a commit record to flush, an fsync unless grouped). */
  writingTransactions: number;
}

const newTally = (): Tally => ({ statements: 0, roundTrips: 0, transactions: 0, writingTransactions: 0 });

/** WAL bytes attributed to what wrote them, in the attribution run. */
type Category = 'session' | 'link' | 'counters' | 'audit' | 'outbox';
const CATEGORIES: readonly Category[] = ['session', 'link', 'counters', 'audit', 'outbox'];

class Conn {
  /** Attribution run only: WAL bytes by category (reads of the insert LSN are not counted as statements). */
  walBy: Map<Category, number> | null = null;

  constructor(
    readonly client: pg.ClientBase,
    readonly tally: Tally,
  ) {}

  async #lsn(): Promise<bigint | null> {
    if (!this.walBy) return null;
    const { rows } = await this.client.query<{ b: string }>("SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '0/0')::text AS b");
    return BigInt(rows[0]!.b);
  }

  async #attribute(category: Category, before: bigint | null): Promise<void> {
    if (before === null || !this.walBy) return;
    const after = (await this.#lsn())!;
    this.walBy.set(category, (this.walBy.get(category) ?? 0) + Number(after - before));
  }

  /** One statement inside a transaction the caller opened. */
  async q<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values: unknown[], category?: Category): Promise<pg.QueryResult<R>> {
    const before = category ? await this.#lsn() : null;
    this.tally.statements++;
    this.tally.roundTrips++;
    const name = PREPARED_NAMES.get(text);
    const result = await this.client.query<R>(name ? { name, text, values } : { text, values });
    if (category) await this.#attribute(category, before);
    return result;
  }

  /** One autocommitted statement: its own transaction. */
  async auto<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values: unknown[], write: Category | null): Promise<pg.QueryResult<R>> {
    this.tally.transactions++;
    if (write) this.tally.writingTransactions++;
    return this.q<R>(text, values, write ?? undefined);
  }

  /** BEGIN … COMMIT around `work`: two more round trips, one commit (its WAL record counted as `commitCategory`). */
  async tx<T>(commitCategory: Category, work: () => Promise<T>): Promise<T> {
    this.tally.roundTrips += 2;
    this.tally.transactions++;
    this.tally.writingTransactions++;
    await this.client.query('BEGIN');
    try {
      const result = await work();
      const before = await this.#lsn();
      await this.client.query('COMMIT');
      await this.#attribute(commitCategory, before);
      return result;
    } catch (err) {
      await this.client.query('ROLLBACK');
      throw err;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The flow's statements, as server/sessions/session-store.ts, server/quotas/rate-counter.ts,
// server/consent/audit.ts, server/webhooks/outbox.ts, server/sessions/link-store.ts and
// server/clients/clients.ts (authenticate) run them today.

const SQL = {
  authenticate: `SELECT c.* FROM api_keys k JOIN clients c ON c.id = k.client_id WHERE k.key_hash = $1 AND k.revoked_at IS NULL`,
  counterSum: 'SELECT sum(count) AS n FROM rate_counters WHERE key = $1 AND window_start >= $2 AND window_start <= $3',
  // SQLite's IMMEDIATE transaction let no other writer in between the sums and the increments; in
  // PostgreSQL the all-or-none check needs the quotas' keys locked first, in one order (no deadlock).
  counterLock: 'SELECT pg_advisory_xact_lock(hashtextextended(k, 0)) FROM unnest($1::text[]) AS k ORDER BY k',
  counterIncrement: `INSERT INTO rate_counters (key, window_start, count) VALUES ($1, $2, 1)
    ON CONFLICT (key, window_start) DO UPDATE SET count = rate_counters.count + 1 RETURNING count`,
  lookup: 'SELECT id, name_key, vaccine, doses FROM beneficiaries WHERE mobile_hash = $1 LIMIT 16',
  insertWithOtp: `INSERT INTO sessions (id, client_id, mode, origin, purpose, nonce, state, created_at, expires_at, sends,
      mobile_hash, name_hash, person_fixed_by, otp_hash, otp_sha256_hash, otp_sent_at, otp_expires_at, vaccination_status, name_matched, subject)
    VALUES ($1, $2, 'server', NULL, $3, $4, '${TRANSITIONS.send_code.to}', $5, $6, 1,
      $7, $8, 'backend', $9, NULL, $10, $11, $12, $13, $14)`,
  insertLink: 'INSERT INTO session_links (link_hash, session_id, expires_at) VALUES ($1, $2, $3)',
  getSession: 'SELECT * FROM sessions WHERE id = $1',
  verified: `UPDATE sessions SET state = '${TRANSITIONS.verify_code.to}', otp_hash = NULL, otp_sha256_hash = NULL, consent_ticket_hash = $1, ticket_holder = $2
    WHERE id = $3 AND state IN (${fromStatesSql('verify_code')}) AND otp_hash = $4`,
  allow: `UPDATE sessions SET state = '${TRANSITIONS.allow.to}', token = $1, token_jti = $2, completed_at = $3
    WHERE id = $4 AND state IN (${fromStatesSql('allow')})`,
  audit: `INSERT INTO audit_events (at, client_id, session_id, purpose, event, vaccination_status, subject, token_jti)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
  webhookTarget: `SELECT s.client_id, s.nonce FROM sessions s JOIN clients c ON c.id = s.client_id
    WHERE s.id = $1 AND c.webhook_url IS NOT NULL`,
  webhookInsert: `INSERT INTO webhook_events (id, client_id, session_id, type, payload, created_at, state, next_attempt_at, give_up_at)
    VALUES ($1, $2, $3, $4, $5, $6, 'pending', $6, $7) ON CONFLICT (session_id) DO NOTHING`,
  // server/consent/postgres-audit.ts: the decision with sessions in Redis (migration 003).
  recordDecision: 'SELECT kycvs_record_decision($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) AS written',
} as const;

/** The flow's statements run prepared by name, as the service's request path runs its own (pool.ts `prepared`). */
const PREPARED_NAMES = new Map<string, string>(Object.entries(SQL).map(([key, text]) => [text, `bench_${key}`]));

const CLIENT_ID = 'bench-railway';
const API_KEY_HASH = crypto.createHash('sha256').update('bench-api-key').digest();
const PURPOSE = 'Check vaccination status before boarding';
/** A status token is an Ed25519 JWS of a few hundred characters (server/signing/status-token.ts). */
const TOKEN = `eyJhbGciOiJFZERTQSIsImtpZCI6ImsxIn0.${'x'.repeat(380)}.${'s'.repeat(86)}`;

const mobileHashOf = (i: number) => crypto.createHash('sha256').update(String(i)).digest();
const rand = (n: number) => crypto.randomBytes(n);

interface Quota {
  key: string;
  windowSeconds: number;
}

function span(windowSeconds: number, now: number) {
  const windowMs = windowSeconds * 1000;
  const sub = windowMs / SUB_WINDOWS;
  const current = Math.floor(now / sub) * sub;
  return { oldest: Math.floor((now - windowMs) / sub) * sub, current, newest: current + sub };
}

/** RateCounter.peek: one sum. */
async function peek(c: Conn, key: string, windowSeconds: number, now: number): Promise<void> {
  const s = span(windowSeconds, now);
  await c.auto(SQL.counterSum, [key, s.oldest, s.newest], null);
}

/** RateCounter.hitAll: in one transaction, every quota's sum, then (none full) every increment. */
async function hitAll(c: Conn, quotas: readonly Quota[], now: number): Promise<void> {
  await c.tx('counters', async () => {
    await c.q(SQL.counterLock, [quotas.map((q) => q.key)], 'counters');
    for (const q of quotas) {
      const s = span(q.windowSeconds, now);
      const { rows } = await c.q<{ n: number | null }>(SQL.counterSum, [q.key, s.oldest, s.newest]);
      if ((rows[0]?.n ?? 0) >= HUGE) throw new Error('bench: a quota filled up');
    }
    for (const q of quotas) await c.q(SQL.counterIncrement, [q.key, span(q.windowSeconds, now).current], 'counters');
  });
}

/** One server-to-server flow: the database's share of its 3 requests. `i` picks the person. */
async function flow(c: Conn, i: number): Promise<void> {
  const now = Date.now();
  const id = `ses_${rand(18).toString('base64url')}`;
  const mobileHash = mobileHashOf(i);
  const mobileKey = mobileHash.toString('base64url');
  const addressKey = rand(16).toString('base64url'); // a keyed hash of the caller's address
  const otpHash = rand(32);

  // 1. POST /v1/sessions with mobile and name (CREATE_WITH_CODE in server/sessions/endpoints.ts).
  await c.auto(SQL.authenticate, [API_KEY_HASH], null); // http/auth.ts: clients.authenticate
  await peek(c, `otpfail:mobile:${mobileKey}`, DAY, now); // refuseLockedMobile
  await hitAll(
    c,
    [
      { key: `sessions:ip:${addressKey}`, windowSeconds: 60 },
      { key: `sms:ip:${addressKey}`, windowSeconds: HOUR },
      { key: `sms:client:${CLIENT_ID}`, windowSeconds: HOUR },
      { key: 'sms:global', windowSeconds: 60 },
      { key: `sms:mobile:${mobileKey}`, windowSeconds: HOUR },
    ],
    now,
  ); // countQuotas(['sessions_ip', ...SMS_QUOTAS])
  await c.auto(SQL.lookup, [mobileHash], null); // lookUpRecord
  await c.auto(
    SQL.insertWithOtp,
    [id, CLIENT_ID, PURPOSE, `nonce-${i}`, now, now + 600_000, mobileHash, rand(32), otpHash, now, now + 180_000, 2, true, `sub_${rand(16).toString('base64url')}`],
    'session',
  ); // storeSession: createWithOtp
  await c.auto(SQL.insertLink, [rand(32), id, now + 600_000], 'link'); // issueLink

  // 2. POST /v1/sessions/:id/verify, no consent flag (VERIFY_CODE): a consent ticket.
  await c.auto(SQL.authenticate, [API_KEY_HASH], null);
  await c.auto(SQL.getSession, [id], null); // findSession
  await peek(c, `otpfail:mobile:${mobileKey}`, DAY, now); // refuseLockedMobile
  const verified = await c.auto(SQL.verified, [rand(32), 'backend', id, otpHash], 'session'); // issueTicket: markVerified
  if (verified.rowCount !== 1) throw new Error('bench: verify compare-and-set failed');

  // 3. POST /v1/sessions/:id/consent, allow (ALLOW): token, audit record, webhook event, one transaction.
  await c.auto(SQL.authenticate, [API_KEY_HASH], null);
  const session = (await c.auto<{ subject: string; nonce: string }>(SQL.getSession, [id], null)).rows[0]!;
  const at = Date.now();
  const jti = rand(12).toString('base64url');
  await c.tx('audit', async () => {
    const allowed = await c.q(SQL.allow, [TOKEN, jti, at, id], 'session');
    if (allowed.rowCount !== 1) throw new Error('bench: allow compare-and-set failed');
    await c.q(SQL.audit, [at, CLIENT_ID, id, PURPOSE, 'allow', 2, session.subject, jti], 'audit');
    const target = await c.q<{ client_id: string; nonce: string }>(SQL.webhookTarget, [id]);
    const payload = JSON.stringify({
      type: 'session.completed',
      timestamp: new Date(at).toISOString(),
      data: { session_id: id, client_id: CLIENT_ID, nonce: target.rows[0]!.nonce, token: TOKEN },
    });
    await c.q(SQL.webhookInsert, [`msg_${rand(16).toString('base64url')}`, CLIENT_ID, id, 'session.completed', payload, at, at + 86_400_000], 'outbox');
  });
}

/**
 * PostgreSQL's share of the same flow once the short-lived state (sessions, links, counters) is in
 * Redis and clients are cached in the process (docs/scaling.md), as the service runs it: the registry
 * lookup, and the decision — audit record and webhook event, both or neither — in one call of
 * kycvs_record_decision, whose UNIQUE (session_id) on both tables is the durable "one decision per
 * session".
 */
async function durableFlow(c: Conn, i: number): Promise<void> {
  const at = Date.now();
  const id = `ses_${rand(18).toString('base64url')}`;
  const jti = rand(12).toString('base64url');
  await c.auto(SQL.lookup, [mobileHashOf(i)], null);
  const payload = JSON.stringify({ type: 'session.completed', timestamp: new Date(at).toISOString(), data: { session_id: id, client_id: CLIENT_ID, nonce: `nonce-${i}`, token: TOKEN } });
  const subject = `sub_${rand(16).toString('base64url')}`;
  const event = [`msg_${rand(16).toString('base64url')}`, 'session.completed', payload, at + 86_400_000];
  const { rows } = await c.auto<{ written: boolean }>(SQL.recordDecision, [id, at, CLIENT_ID, PURPOSE, 'allow', 2, subject, jti, ...event], 'audit');
  if (rows[0]?.written !== true) throw new Error('bench: the decision wrote no webhook event');
}

// ---------------------------------------------------------------------------------------------
// What PostgreSQL itself reports.

async function walLsnBytes(client: pg.ClientBase): Promise<number> {
  const { rows } = await client.query<{ b: string }>("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::text AS b");
  return Number(rows[0]!.b);
}

interface ServerCounters {
  wal: number;
  walSyncs: number;
  walFpi: number;
  commits: number;
}

async function serverCounters(client: pg.ClientBase, database: string): Promise<ServerCounters> {
  // pg_stat_wal is cluster-wide (other databases' writes count too); commits are this database's.
  const wal = await walLsnBytes(client);
  const { rows } = await client.query<{ syncs: number; fpi: number; commits: number }>(
    `SELECT w.wal_sync AS syncs, w.wal_fpi AS fpi, d.xact_commit AS commits
       FROM pg_stat_wal w, pg_stat_database d WHERE d.datname = $1`,
    [database],
  );
  return { wal, walSyncs: rows[0]!.syncs, walFpi: rows[0]!.fpi, commits: rows[0]!.commits };
}

/**
 * CPU seconds PostgreSQL spent for us: our own backends plus its background processes (WAL writer,
 * checkpointer…), from /proc. Other clients' backends on a shared server are left out.
 */
async function postgresCpuSeconds(client: pg.ClientBase, applicationName: string): Promise<number> {
  const { rows } = await client.query<{ pid: number }>(
    "SELECT pid FROM pg_stat_activity WHERE application_name = $1 OR backend_type <> 'client backend'",
    [applicationName],
  );
  let total = 0;
  // NaN (a server on another host, a process that ended): its share is not counted.
  for (const { pid } of rows) total += cpuSecondsOf(pid) || 0;
  return total;
}

// ---------------------------------------------------------------------------------------------
// Redis: the service's own RedisRateCounter (server/quotas/redis-rate-counter.ts: the same
// sub-window counters, one Lua script per operation), beside a session's compare-and-set.

/** A session's compare-and-set: ARGV: expected state, expected otp_hash ('' = any), then field/value pairs to set. */
const CAS_LUA = `
local s = redis.call('HMGET', KEYS[1], 'state', 'otp_hash')
if s[1] ~= ARGV[1] or (ARGV[2] ~= '' and s[2] ~= ARGV[2]) then return 0 end
local set = {}
for i = 3, #ARGV do set[#set + 1] = ARGV[i] end
redis.call('HSET', KEYS[1], unpack(set))
return 1`;

interface RedisRate {
  perSecond: number;
  /** Redis server CPU seconds per operation (INFO cpu). */
  cpuSeconds: number;
}

interface RedisFigures {
  /** Calibration: PING, the cheapest round trip. */
  ping: RedisRate;
  hitAll: RedisRate;
  /** Everything short-lived of one flow: hitAll, 2 peeks, session create + link, 2 reads, 2 compare-and-sets. */
  flowState: RedisRate;
}

async function measureRedis(seconds: number, clients: number, prefix: string): Promise<RedisFigures | string> {
  const probe = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true, connectTimeout: 1_000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  try {
    await probe.connect();
  } catch {
    probe.disconnect();
    return 'Redis not reachable at 127.0.0.1:6379: its comparison was skipped';
  }
  const cpu = async () => {
    const info = await probe.info('cpu');
    const value = (name: string) => Number(new RegExp(`${name}:([0-9.]+)`).exec(info)?.[1] ?? Number.NaN);
    return value('used_cpu_sys') + value('used_cpu_user');
  };
  const conns = Array.from({ length: clients }, () => new Redis({ host: '127.0.0.1', port: 6379 }));
  try {
    const casSha = (await probe.script('LOAD', CAS_LUA)) as string;
    const counters = new Map(conns.map((r) => [r, new RedisRateCounter(r, { prefix, subWindows: SUB_WINDOWS })]));
    const hitAll = async (r: Redis, i: number) => {
      const addressKey = `a${i}`;
      const quotas = [
        { key: `sessions:ip:${addressKey}`, windowSeconds: 60 },
        { key: `sms:ip:${addressKey}`, windowSeconds: HOUR },
        { key: `sms:client:${CLIENT_ID}`, windowSeconds: HOUR },
        { key: 'sms:global', windowSeconds: 60 },
        { key: `sms:mobile:${mobileHashOf(i).toString('base64url')}`, windowSeconds: HOUR },
      ];
      if ((await counters.get(r)!.hitAll(quotas.map((q) => ({ ...q, limit: HUGE })))) !== null) throw new Error('bench: a Redis quota filled up');
    };
    const peek = (r: Redis, i: number) => counters.get(r)!.peek(`otpfail:mobile:${mobileHashOf(i).toString('base64url')}`, HUGE, DAY);
    const flowState = async (r: Redis, i: number) => {
      const id = `${prefix}ses_${rand(18).toString('base64url')}`;
      const otpHash = rand(32).toString('base64');
      await peek(r, i);
      await hitAll(r, i);
      // The session and its link, with the session's lifetime as TTL: no prune job.
      await r
        .multi()
        .hset(id, { state: 'otp_sent', client_id: CLIENT_ID, purpose: PURPOSE, nonce: `nonce-${i}`, mobile_hash: mobileHashOf(i).toString('base64'), otp_hash: otpHash, sends: 1, subject: 'sub_x', vaccination_status: 2 })
        .pexpire(id, 600_000)
        .set(`${prefix}link:${rand(32).toString('base64url')}`, id, 'PX', 600_000)
        .exec();
      await r.hgetall(id);
      await peek(r, i);
      if ((await r.evalsha(casSha, 1, id, 'otp_sent', otpHash, 'state', 'verified', 'otp_hash', '', 'consent_ticket_hash', rand(32).toString('base64'))) !== 1) {
        throw new Error('bench: Redis verify compare-and-set failed');
      }
      await r.hgetall(id);
      if ((await r.evalsha(casSha, 1, id, 'verified', '', 'state', 'completed', 'token_jti', 'j')) !== 1) throw new Error('bench: Redis allow compare-and-set failed');
    };
    const run = async (op: (r: Redis, i: number) => Promise<unknown>): Promise<RedisRate> => {
      let done = 0;
      const cpu0 = await cpu();
      const started = performance.now();
      const until = started + seconds * 1000;
      await Promise.all(
        conns.map(async (r, w) => {
          for (let i = w; performance.now() < until; i += clients) {
            await op(r, i);
            done++;
          }
        }),
      );
      const elapsed = (performance.now() - started) / 1000;
      return { perSecond: done / elapsed, cpuSeconds: ((await cpu()) - cpu0) / done };
    };
    return { ping: await run((r) => r.ping()), hitAll: await run(hitAll), flowState: await run(flowState) };
  } finally {
    // Every key this run made starts with its prefix; they would expire anyway (TTLs), this is sooner.
    await deleteKeysUnder(probe, prefix);
    for (const r of conns) r.disconnect();
    probe.disconnect();
  }
}

// ---------------------------------------------------------------------------------------------

async function seed(client: pg.ClientBase, registry: number): Promise<void> {
  const now = Date.now();
  await client.query(`INSERT INTO clients (id, name, purpose, allowed_origins, status, created_at, widget_sessions, webhook_url, webhook_secret)
    VALUES ($1, 'Bench Railway', $2, '[]', 'active', $3, false, 'https://railway.example/hooks', $4)`, [CLIENT_ID, PURPOSE, now, rand(60)]);
  await client.query('INSERT INTO api_keys (id, client_id, key_hash, created_at) VALUES ($1, $2, $3, $4)', ['key_bench', CLIENT_ID, API_KEY_HASH, now]);
  await client.query("INSERT INTO vaccine_schedules (vaccine, primary_doses) VALUES ('COVISHIELD', 2)");
  // One beneficiary per mobile; the flows use mobiles 0 … registry-1, keyed as mobileHashOf does.
  await client.query(
    `INSERT INTO beneficiaries (mobile_hash, id, name, name_key, vaccine, doses, last_dose_date)
     SELECT sha256(i::text::bytea), 'B' || i, 'Person ' || i, 'person ' || i, 'COVISHIELD', 2, '2021-09-01'
       FROM generate_series(0, $1 - 1) AS i`,
    [registry],
  );
  await client.query('ANALYZE');
}

const perFlow = (total: number, flows: number) => total / flows;

export async function measure(options: BenchOptions): Promise<Omit<ModuleResult, 'module' | 'seconds'>> {
  const size = options.smoke ? SMOKE : FULL;
  const scratch = await createScratchDatabase('kycvs_bench');
  const applicationName = `kycvs-bench-${process.pid}`;
  const pool = createPool({ url: scratch.url, size: size.clients + 1, applicationName, statementTimeoutMs: 30_000 });
  try {
    await migrate(pool);
    const admin = await pool.connect();
    try {
      await seed(admin, size.registry);
      progress(`pg-cost: registry of ${size.registry} seeded; ${size.attributionFlows} flows one at a time (WAL by table)`);

      // Run 1, one flow at a time: statements, round trips and WAL per flow, and which writes make the WAL.
      const seqTally = newTally();
      const seqClient = await pool.connect();
      const seq = new Conn(seqClient, seqTally);
      // The LSN is the whole server's: a checkpoint's full-page images or another database's writes
      // land in some flows' figures. The median flow is the steady cost; the mean shows the bursts.
      const samples = new Map<Category, number[]>(CATEGORIES.map((k) => [k, []]));
      const totals: number[] = [];
      for (let i = 0; i < size.attributionFlows; i++) {
        seq.walBy = new Map();
        await flow(seq, i);
        for (const k of CATEGORIES) samples.get(k)!.push(seq.walBy.get(k) ?? 0);
        totals.push([...seq.walBy.values()].reduce((a, b) => a + b, 0));
      }
      seqClient.release();
      const walBy = Object.fromEntries(CATEGORIES.map((k) => [k, median(samples.get(k)!)])) as Record<Category, number>;
      const walOneAtATime = { median: median(totals), mean: totals.reduce((a, b) => a + b, 0) / totals.length };

      // Run 2, `clients` connections at once (as service processes would be): flows/s, WAL, commits, fsyncs, CPU.
      progress(`pg-cost: ${size.flows} flows over ${size.clients} concurrent connections`);
      await admin.query('CHECKPOINT'); // the run starts on a fresh checkpoint, so full-page images count as in steady use
      const tally = newTally();
      const conns = await Promise.all(Array.from({ length: size.clients }, () => pool.connect()));
      const before = await serverCounters(admin, scratch.name);
      const cpu0 = await postgresCpuSeconds(admin, applicationName);
      const started = performance.now();
      let next = size.attributionFlows;
      const last = size.attributionFlows + size.flows;
      await Promise.all(
        conns.map(async (client) => {
          const c = new Conn(client, tally);
          for (let i = next++; i < last; i = next++) await flow(c, i % size.registry);
        }),
      );
      const seconds = (performance.now() - started) / 1000;
      const cpuUsed = (await postgresCpuSeconds(admin, applicationName)) - cpu0;
      const after = await serverCounters(admin, scratch.name);

      // Calibration: PostgreSQL CPU per trivial round trip (SELECT 1) on this machine, same connections.
      const trivial = size.flows * 5;
      const calCpu0 = await postgresCpuSeconds(admin, applicationName);
      const calStarted = performance.now();
      let sent = 0;
      await Promise.all(
        conns.map(async (client) => {
          while (sent++ < trivial) await client.query('SELECT 1');
        }),
      );
      const selectOne = {
        perSecond: trivial / ((performance.now() - calStarted) / 1000),
        cpuSeconds: ((await postgresCpuSeconds(admin, applicationName)) - calCpu0) / trivial,
      };

      // Run 3: PostgreSQL's share with the short-lived state in Redis, same connections.
      const durableTally = newTally();
      const dBefore = await serverCounters(admin, scratch.name);
      const dCpu0 = await postgresCpuSeconds(admin, applicationName);
      const dStarted = performance.now();
      let dNext = 0;
      await Promise.all(
        conns.map(async (client) => {
          const c = new Conn(client, durableTally);
          for (let i = dNext++; i < size.flows; i = dNext++) await durableFlow(c, i % size.registry);
        }),
      );
      const dSeconds = (performance.now() - dStarted) / 1000;
      const dCpu = (await postgresCpuSeconds(admin, applicationName)) - dCpu0;
      const dAfter = await serverCounters(admin, scratch.name);
      const durable = {
        roundTrips: perFlow(durableTally.roundTrips, size.flows),
        writingTransactions: perFlow(durableTally.writingTransactions, size.flows),
        walBytes: perFlow(dAfter.wal - dBefore.wal, size.flows),
        postgresCpuSeconds: perFlow(dCpu, size.flows),
        flowsPerSecond: size.flows / dSeconds,
      };
      for (const c of conns) c.release();

      // Clean-up the short-lived rows need in PostgreSQL (Redis's TTLs do it for free): its WAL per flow.
      const cleanWal0 = await walLsnBytes(admin);
      const horizon = Date.now() + 3_600_000;
      await admin.query('DELETE FROM sessions WHERE expires_at < $1', [horizon]);
      await admin.query('DELETE FROM session_links WHERE expires_at < $1', [horizon]);
      await admin.query('DELETE FROM rate_counters WHERE window_start < $1', [horizon]);
      const cleanupWalPerFlow = ((await walLsnBytes(admin)) - cleanWal0) / (size.flows + size.attributionFlows);

      const flowsPerSecond = size.flows / seconds;
      const walPerFlow = perFlow(after.wal - before.wal, size.flows);
      const f = {
        statements: perFlow(tally.statements, size.flows),
        roundTrips: perFlow(tally.roundTrips, size.flows),
        transactions: perFlow(tally.transactions, size.flows),
        writingTransactions: perFlow(tally.writingTransactions, size.flows),
        walBytes: walPerFlow,
        walBytesOneAtATime: walOneAtATime,
        walBy,
        cleanupWalBytes: cleanupWalPerFlow,
        walSyncs: perFlow(after.walSyncs - before.walSyncs, size.flows),
        fullPageImages: perFlow(after.walFpi - before.walFpi, size.flows),
        commitsSeenByServer: perFlow(after.commits - before.commits, size.flows),
        postgresCpuSeconds: perFlow(cpuUsed, size.flows),
        flowsPerSecond,
        /** The flow's PostgreSQL CPU in trivial round trips (SELECT 1): a figure that travels between machines. */
        selectOneEquivalents: cpuUsed / size.flows / selectOne.cpuSeconds,
      };

      // The projection: the same per-flow costs at 55,000 requests/s.
      const target = TARGET_FLOWS_PER_SECOND;
      const shortLived = walBy.session + walBy.link + walBy.counters;
      const p = {
        flowsPerSecond: target,
        walMBps: (target * (f.walBytes + f.cleanupWalBytes)) / 1e6,
        shortLivedWalMBps: (target * (shortLived + f.cleanupWalBytes)) / 1e6,
        durableWalMBps: (target * (walBy.audit + walBy.outbox)) / 1e6,
        writingCommitsPerSecond: target * f.writingTransactions,
        roundTripsPerSecond: target * f.roundTrips,
        postgresCores: target * f.postgresCpuSeconds,
        durableOnly: {
          walMBps: (target * durable.walBytes) / 1e6,
          writingCommitsPerSecond: target * durable.writingTransactions,
          roundTripsPerSecond: target * durable.roundTrips,
          postgresCores: target * durable.postgresCpuSeconds,
        },
        /** The hot key every create counts (sms:global): its lock is held once per create, one after another. */
        globalCounterLocksPerSecond: target,
      };

      progress(`pg-cost: Redis hitAll for ${size.redisSeconds} s over ${size.clients} connections`);
      const redis = await measureRedis(size.redisSeconds, size.clients, `kycvs-bench:${process.pid}:${rand(4).toString('hex')}:`);

      const lines = [
        `per flow: ${fmt(f.statements, 0)} statements, ${fmt(f.transactions, 0)} transactions (${fmt(f.writingTransactions, 0)} writing), ${fmt(f.roundTrips, 0)} round trips`,
        `WAL per flow: ${fmt(f.walBytes, 0)} B concurrent, one at a time ${fmt(walOneAtATime.median, 0)} B median flow (session ${fmt(walBy.session, 0)}, link ${fmt(walBy.link, 0)}, counters ${fmt(walBy.counters, 0)}, audit ${fmt(walBy.audit, 0)}, outbox ${fmt(walBy.outbox, 0)}; commit records included) and ${fmt(walOneAtATime.mean, 0)} B mean (checkpoints' full-page images, other databases); + ${fmt(f.cleanupWalBytes, 0)} B to delete it later; ${fmt(f.fullPageImages, 2)} full-page images per flow in the concurrent run`,
        `measured: ${fmt(flowsPerSecond, 0)} flows/s (${fmt(flowsPerSecond * REQUESTS_PER_FLOW, 0)} requests/s) with ${size.clients} connections; PostgreSQL CPU ${fmt(f.postgresCpuSeconds * 1e3, 2)} ms per flow = ${fmt(f.selectOneEquivalents, 0)} × a SELECT 1 round trip (${fmt(selectOne.cpuSeconds * 1e6, 0)} µs, ${fmt(selectOne.perSecond, 0)}/s here); ${fmt(f.walSyncs, 2)} WAL fsyncs per flow (group commit)`,
        `at ${TARGET_REQUESTS_PER_SECOND} requests/s (${fmt(target, 0)} flows/s): WAL ${fmt(p.walMBps, 1)} MB/s (short-lived state ${fmt(p.shortLivedWalMBps, 1)}, durable audit+outbox ${fmt(p.durableWalMBps, 1)}), ${fmt(p.writingCommitsPerSecond, 0)} writing commits/s, ${fmt(p.roundTripsPerSecond, 0)} round trips/s, ${fmt(p.postgresCores, 1)} PostgreSQL cores, ${fmt(p.globalCounterLocksPerSecond, 0)} serialized updates/s of the one sms:global counter`,
        ...(typeof redis === 'string'
          ? [redis]
          : [
              `Redis (${size.clients} connections): PING ${fmt(redis.ping.perSecond, 0)}/s at ${fmt(redis.ping.cpuSeconds * 1e6, 1)} µs Redis CPU; hitAll (5 quotas, one Lua script) ${fmt(redis.hitAll.perSecond, 0)}/s at ${fmt(redis.hitAll.cpuSeconds * 1e6, 1)} µs; a flow's whole short-lived state (hitAll, 2 peeks, session + link, 2 reads, 2 compare-and-sets: 8 round trips) ${fmt(redis.flowState.perSecond, 0)} flows/s at ${fmt(redis.flowState.cpuSeconds * 1e6, 0)} µs`,
              `Redis at ${fmt(target, 0)} flows/s: ${fmt(target * redis.hitAll.cpuSeconds, 2)} cores for the counters alone, ${fmt(target * redis.flowState.cpuSeconds, 2)} cores for all short-lived state (one Redis process uses one core for commands)`,
            ]),
      ];
      lines.push(
        `with sessions, links and counters in Redis, PostgreSQL's share (registry lookup; audit record + webhook event in one kycvs_record_decision call): ${fmt(durable.roundTrips, 0)} round trips, ${fmt(durable.writingTransactions, 0)} writing commit, ${fmt(durable.walBytes, 0)} B WAL, ${fmt(durable.postgresCpuSeconds * 1e3, 2)} ms CPU per flow (${fmt(durable.flowsPerSecond, 0)} flows/s here) → at ${fmt(target, 0)} flows/s: WAL ${fmt(p.durableOnly.walMBps, 1)} MB/s, ${fmt(p.durableOnly.writingCommitsPerSecond, 0)} commits/s, ${fmt(p.durableOnly.postgresCores, 1)} cores`,
      );
      for (const l of lines) progress(`pg-cost: ${l}`);

      return {
        rows: [
          row('PostgreSQL: statements / round trips / writing commits per flow', `${fmt(f.statements, 0)} / ${fmt(f.roundTrips, 0)} / ${fmt(f.writingTransactions, 0)}`),
          row('PostgreSQL: WAL per flow (+ its later clean-up)', `${fmt(f.walBytes / 1024, 1)} KiB (+ ${fmt(f.cleanupWalBytes / 1024, 1)} KiB)`),
          row(`PostgreSQL: flows/s, ${size.clients} connections, this machine`, fmt(flowsPerSecond, 0)),
          row(`PostgreSQL at ${TARGET_REQUESTS_PER_SECOND} req/s: WAL MB/s, writing commits/s, cores`, `${fmt(p.walMBps, 0)} MB/s, ${fmt(p.writingCommitsPerSecond, 0)}/s, ${fmt(p.postgresCores, 1)}`),
          row(`PostgreSQL share with short-lived state in Redis, at ${TARGET_REQUESTS_PER_SECOND} req/s: WAL MB/s, commits/s, cores`, `${fmt(p.durableOnly.walMBps, 0)} MB/s, ${fmt(p.durableOnly.writingCommitsPerSecond, 0)}/s, ${fmt(p.durableOnly.postgresCores, 1)}`),
          row('Redis: hitAll (5 quotas) per second; flows of short-lived state per second', typeof redis === 'string' ? 'skipped' : `${fmt(redis.hitAll.perSecond, 0)}; ${fmt(redis.flowState.perSecond, 0)}`),
        ],
        details: { perFlow: f, durablePerFlow: durable, projection: p, selectOne, redis, sizes: size, requestsPerFlow: REQUESTS_PER_FLOW, targetRequestsPerSecond: TARGET_REQUESTS_PER_SECOND },
        notes: lines.map((l) => `pg-cost: ${l}`),
      };
    } finally {
      admin.release();
    }
  } finally {
    await pool.end();
    await scratch.drop();
  }
}

moduleMain(import.meta.url, 'pg-cost', measure);
