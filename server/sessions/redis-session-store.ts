import crypto from 'node:crypto';
import type { SessionState } from '../../protocol/api.ts';
import type { AuditEvent } from '../consent/audit.ts';
import { DecisionTaken, recordDecision } from '../consent/postgres-audit.ts';
import { hashSlot, mapRedisError, type RedisClient, RedisScript } from '../store/redis.ts';
import { inTransaction, type Pool, query } from '../store/postgres/pool.ts';
import type { EventExtra, WebhookEventType } from '../webhooks/outbox.ts';
import { type EventTarget, type EventToWrite, PostgresWebhookOutbox } from '../webhooks/postgres-outbox.ts';
import {
  type CorrectedPerson,
  type DisclosingTransition,
  type NewSession,
  type OtpIssue,
  type Session,
  type SessionRow,
  type SessionStore,
  type TicketHolder,
  sessionFromRow,
} from './session-store.ts';
import { LIVE_STATES, TRANSITIONS, type TransitionName } from './transitions.ts';

/*
 * Live sessions in Redis, the decision in PostgreSQL (docs/scaling.md §4).
 *
 * A session is one hash (the SQLite columns as fields; Buffers binary-safe; a NULL is an absent
 * field) with an absolute expiry of `expiresAt + retainMs`, as long as SQLite's prune keeps an
 * ended session. Every transition is one Lua script: the compare-and-set of the SQLite UPDATE
 * (state among TRANSITIONS[t].from, and the same other conditions), so one verify, one token, one
 * decision per session however many requests race, in however many processes.
 *
 * A decision (Share, Don't share, the code with consent) is made in three steps:
 *   1. claim   — Redis CAS: the state allows it; the decision (state, token, jti) is parked in
 *                `claim_*` fields with a lease. The state does not move, no token is readable yet,
 *                and every other transition of the session is refused while the claim stands.
 *   2. commit  — one PostgreSQL transaction: audit record (UNIQUE (session_id): the durable CAS)
 *                and, for a client with a webhook, its event (one per session).
 *   3. settle  — Redis: the claimed state and token become the session's.
 * A token is readable only after 3, so only after its audit record committed. A crash after 1
 * leaves a claim that goes stale after `claimLeaseMs`; a crash after 2 leaves one whose decision
 * PostgreSQL holds. Whoever next reads or moves the session (get, any CAS, the expiry sweep) finds
 * the stale claim and resolves it against PostgreSQL: settled as PostgreSQL says (with the claimed
 * token when the jti matches), or released when PostgreSQL has nothing. If Redis lost or replayed
 * the session, a second decision gets its claim but conflicts at 2: the session is then forced to
 * what PostgreSQL holds, and the caller told no. PostgreSQL is the truth; Redis follows it.
 *
 * Expiry events (ExpirySweeper's job for SQLite): a session of a client with a webhook is put in a
 * sorted set by expiresAt just before it is made. `expireDue` takes due members atomically into an
 * "owed" set (every process sees each member once), CASes each session to `expired` (a racing
 * Share: whichever CAS is first wins; a claim in flight is waited for) and writes the events in one
 * transaction; a member leaves the owed set only once its event committed, so a crash or a
 * PostgreSQL outage costs a retry, not an event. The wrong-code lock's `session.failed` event goes
 * through the same owed set, put there just after the lock (a crash in between delays the event to
 * the session's expiry, when the sweep finds it locked; it never loses it).
 *
 * Keys, for Redis Cluster: every transition script touches the session's one hash, so sessions
 * spread over every slot by their own keys. The expiry and owed sets are split into `sweepShards`
 * pairs, a pair tagged with its shard number (`{n}`, one slot: TAKE_DUE moves members between the
 * two atomically); a session belongs to the shard of its id's slot. On a single Redis one pair, under
 * the names it had before shards existed (a deployment upgraded in place keeps sweeping them); a
 * cluster wants enough pairs for its masters (16 there). Changing the number strands the members of
 * pairs no longer swept: drain first.
 */

/** A field value as sent to Redis: NULL columns are deleted fields. */
type FieldValue = string | number | Buffer | null;

const BUFFER_FIELDS = ['mobile_hash', 'name_hash', 'otp_hash', 'otp_sha256_hash', 'consent_ticket_hash'] as const;
const NUMBER_FIELDS = ['created_at', 'expires_at', 'otp_sent_at', 'otp_expires_at', 'sends', 'failed_attempts', 'vaccination_status', 'name_matched', 'name_tries', 'completed_at'] as const;
const TEXT_FIELDS = ['id', 'client_id', 'mode', 'origin', 'purpose', 'nonce', 'state', 'person_fixed_by', 'subject', 'ticket_holder', 'token', 'token_jti'] as const;
const CLAIM_FIELDS = ['claim_id', 'claim_until', 'claim_state', 'claim_token', 'claim_jti', 'claim_at'];

/** A Lua table literal `{["a"]=true, …}` of the states a transition starts from: TRANSITIONS, never copied by hand. */
const luaSet = (states: readonly string[]) => `{${states.map((s) => `[${JSON.stringify(s)}]=true`).join(', ')}}`;
const fromSet = (name: TransitionName) => luaSet(TRANSITIONS[name].from);

const PRELUDE = `
local key = KEYS[1]
local now = tonumber(ARGV[1])
-- nil when the session may move; else the reply: 0 (no such session, or a decision in flight),
-- -1 (a stale claim: PostgreSQL knows how it ended, the caller resolves it and tries again).
local function blocked()
  if redis.call('EXISTS', key) == 0 then return 0 end
  local until_ = redis.call('HGET', key, 'claim_until')
  if until_ then
    if tonumber(until_) > now then return 0 end
    return -1
  end
  return nil
end
local function state_in(set) return set[redis.call('HGET', key, 'state')] == true end
-- ARGV from i: n, n field/value pairs to set, then the fields to delete (NULLs).
local function write(i)
  local n = tonumber(ARGV[i])
  if n > 0 then redis.call('HSET', key, unpack(ARGV, i + 1, i + 2 * n)) end
  if #ARGV > i + 2 * n then redis.call('HDEL', key, unpack(ARGV, i + 2 * n + 1, #ARGV)) end
end
`;

/** KEYS: session. ARGV: now, key expiry (ms), id, fields. */
const CREATE = `${PRELUDE}
if redis.call('EXISTS', key) == 1 then return redis.error_reply('ERR session ' .. ARGV[3] .. ' exists') end
write(4)
redis.call('PEXPIREAT', key, ARGV[2])
return 1`;

/** A session in an expiry or owed set. KEYS: the set. ARGV: score, id, the set's expiry (ms; only ever moved later). */
const ENLIST = `
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
if redis.call('PEXPIRETIME', KEYS[1]) < tonumber(ARGV[3]) then redis.call('PEXPIREAT', KEYS[1], ARGV[3]) end
return 1`;

/** send_code. ARGV: now, previous sends, mobile hash, name hash, fields. */
const OTP_SENT = `${PRELUDE}
local b = blocked() if b then return b end
if not state_in(${fromSet('send_code')}) then return 0 end
if tonumber(redis.call('HGET', key, 'sends')) ~= tonumber(ARGV[2]) then return 0 end
-- The first code fixes the person; a resend must be for the same one.
if redis.call('HGET', key, 'mobile_hash') and (redis.call('HGET', key, 'mobile_hash') ~= ARGV[3] or redis.call('HGET', key, 'name_hash') ~= ARGV[4]) then return 0 end
if not redis.call('HGET', key, 'person_fixed_by') then redis.call('HSET', key, 'person_fixed_by', 'citizen') end
redis.call('HINCRBY', key, 'sends', 1)
write(5)
return 1`;

/** wrong_code. ARGV: now, max attempts. Returns {attempts, state, webhook} or a number. */
const WRONG_OTP = `${PRELUDE}
local b = blocked() if b then return b end
if not state_in(${fromSet('wrong_code')}) then return 0 end
local n = redis.call('HINCRBY', key, 'failed_attempts', 1)
local webhook = redis.call('HGET', key, 'webhook') or '0'
if n >= tonumber(ARGV[2]) then
  redis.call('HSET', key, 'state', 'locked', 'ended_at', ARGV[1])
  redis.call('HDEL', key, 'otp_hash', 'otp_sha256_hash')
end
return {n, redis.call('HGET', key, 'state'), webhook}`;

/** verify_code. ARGV: now, the OTP hash checked, fields. */
const VERIFIED = `${PRELUDE}
local b = blocked() if b then return b end
if not state_in(${fromSet('verify_code')}) then return 0 end
if redis.call('HGET', key, 'otp_hash') ~= ARGV[2] then return 0 end
write(3)
return 1`;

/** correct_name. ARGV: now, previous tries, max tries, fields. */
const NAME_TRY = `${PRELUDE}
local b = blocked() if b then return b end
if not state_in(${fromSet('correct_name')}) then return 0 end
local tries = tonumber(redis.call('HGET', key, 'name_tries'))
if tries ~= tonumber(ARGV[2]) or tries >= tonumber(ARGV[3]) then return 0 end
if redis.call('HGET', key, 'name_matched') ~= '0' or redis.call('HGET', key, 'person_fixed_by') ~= 'citizen'
  or redis.call('HGET', key, 'ticket_holder') ~= 'frame' then return 0 end
redis.call('HINCRBY', key, 'name_tries', 1)
write(4)
return 1`;

const DECISIONS = ['allow', 'consent_with_code', 'deny'] as const satisfies readonly TransitionName[];
type Decision = (typeof DECISIONS)[number];

/** Step 1 of a decision. ARGV: now, transition, OTP hash to match ('' = none), claim fields. Returns {1, client_id, nonce} or a number. */
const CLAIM = `${PRELUDE}
local FROM = {${DECISIONS.map((d) => `${d}=${fromSet(d)}`).join(', ')}}
local b = blocked() if b then return b end
if not state_in(FROM[ARGV[2]]) then return 0 end
if ARGV[3] ~= '' and redis.call('HGET', key, 'otp_hash') ~= ARGV[3] then return 0 end
write(4)
return {1, redis.call('HGET', key, 'client_id'), redis.call('HGET', key, 'nonce')}`;

/**
 * Step 3, or forcing what PostgreSQL holds. ARGV: now, claim id ('' = whatever the claim), state,
 * token, jti, completed_at ('' = none of them). Returns 1 if the session took it.
 */
const SETTLE = `${PRELUDE}
if redis.call('EXISTS', key) == 0 then return 0 end
if ARGV[2] ~= '' and redis.call('HGET', key, 'claim_id') ~= ARGV[2] then return 0 end
redis.call('HSET', key, 'state', ARGV[3])
for i, f in ipairs({'token', 'token_jti', 'completed_at'}) do
  if ARGV[3 + i] ~= '' then redis.call('HSET', key, f, ARGV[3 + i]) else redis.call('HDEL', key, f) end
end
redis.call('HDEL', key, 'otp_hash', 'otp_sha256_hash', ${CLAIM_FIELDS.map((f) => `'${f}'`).join(', ')})
return 1`;

/** A claim that will not be settled. ARGV: now, claim id, 'drop' (gone) or 'stale' (resolve against PostgreSQL first). */
const RELEASE = `${PRELUDE}
if redis.call('HGET', key, 'claim_id') ~= ARGV[2] then return 0 end
if ARGV[3] == 'stale' then redis.call('HSET', key, 'claim_until', '0')
else redis.call('HDEL', key, ${CLAIM_FIELDS.map((f) => `'${f}'`).join(', ')}) end
return 1`;

/**
 * Due expiry members and owed events, taken atomically. KEYS: expiry set, owed set. ARGV: now,
 * due before, limit, owed retried before, owed set's expiry. Moves what it takes into the owed set at `now`.
 */
const TAKE_DUE = `
local now, limit = ARGV[1], tonumber(ARGV[3])
local ids = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[4], 'LIMIT', 0, limit)
if #ids < limit then
  local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[2], 'LIMIT', 0, limit - #ids)
  if #due > 0 then redis.call('ZREM', KEYS[1], unpack(due)) end
  for _, id in ipairs(due) do ids[#ids + 1] = id end
end
for _, id in ipairs(ids) do redis.call('ZADD', KEYS[2], now, id) end
if #ids > 0 and redis.call('PEXPIRETIME', KEYS[2]) < tonumber(ARGV[5]) then redis.call('PEXPIREAT', KEYS[2], ARGV[5]) end
return ids`;

/**
 * One owed session: a live one becomes `expired`. ARGV: now. Returns {event type, at, client_id,
 * nonce} for an event to write, {'wait'} (a decision in flight), {'stale'} (resolve, retry) or {'drop'}.
 */
const EXPIRE = `${PRELUDE}
if redis.call('EXISTS', key) == 0 then return {'drop'} end
local until_ = redis.call('HGET', key, 'claim_until')
if until_ then
  if tonumber(until_) > now then return {'wait'} end
  return {'stale'}
end
local LIVE = ${luaSet(LIVE_STATES)}
local state = redis.call('HGET', key, 'state')
if LIVE[state] then
  redis.call('HSET', key, 'state', 'expired')
  state = 'expired'
end
local client, nonce = redis.call('HGET', key, 'client_id'), redis.call('HGET', key, 'nonce')
if state == 'expired' then return {'session.expired', redis.call('HGET', key, 'expires_at'), client, nonce} end
if state == 'locked' then return {'session.failed', redis.call('HGET', key, 'ended_at'), client, nonce} end
return {'drop'}`;

const SCRIPTS = {
  create: new RedisScript(CREATE),
  enlist: new RedisScript(ENLIST),
  otpSent: new RedisScript(OTP_SENT),
  wrongOtp: new RedisScript(WRONG_OTP),
  verified: new RedisScript(VERIFIED),
  nameTry: new RedisScript(NAME_TRY),
  claim: new RedisScript(CLAIM),
  settle: new RedisScript(SETTLE),
  release: new RedisScript(RELEASE),
  takeDue: new RedisScript(TAKE_DUE),
  expire: new RedisScript(EXPIRE),
};

/** `[n, k1, v1, …, kn, vn, nullField…]`: the `write(i)` arguments of the scripts. */
function fieldArgs(fields: Record<string, FieldValue>): (string | number | Buffer)[] {
  const set: (string | number | Buffer)[] = [];
  const del: string[] = [];
  for (const [k, v] of Object.entries(fields)) {
    if (v === null) del.push(k);
    else set.push(k, v);
  }
  return [set.length / 2, ...set, ...del];
}

/** The hash as the SQLite row it mirrors. */
function rowFromHash(h: Record<string, Buffer>): SessionRow {
  const row: Record<string, unknown> = {};
  for (const f of TEXT_FIELDS) row[f] = h[f]?.toString('utf8') ?? null;
  for (const f of NUMBER_FIELDS) row[f] = h[f] === undefined ? null : Number(h[f].toString('latin1'));
  for (const f of BUFFER_FIELDS) row[f] = h[f] ?? null;
  // Typed field by field above from the same column names SessionRow declares.
  return row as unknown as SessionRow;
}

const otpFields = (otp: OtpIssue) => ({
  mobile_hash: otp.mobileHash,
  name_hash: otp.nameHash,
  otp_hash: otp.otpHash,
  otp_sha256_hash: otp.otpSha256Hash ?? null,
  otp_sent_at: otp.sentAt,
  otp_expires_at: otp.otpExpiresAt,
  vaccination_status: otp.vaccinationStatus,
  name_matched: otp.nameMatched ? 1 : 0,
  subject: otp.subject,
});

/** A decision parked in the session by step 1. */
interface Claim {
  id: string;
  state: SessionState;
  token: string | null;
  jti: string | null;
  at: number;
}

export interface RedisSessionStoreOptions {
  /** Put before every key (KYCVS_REDIS_PREFIX). */
  prefix?: string;
  /** Expiry/owed set pairs, each in one hash slot (1; more on a Redis Cluster, to spread them over its masters). */
  sweepShards?: number;
  /** How long an ended session is kept after its expiry (as the SQLite prune's day). */
  retainMs?: number;
  /**
   * How long a decision's claim holds before it counts as stale and is resolved against PostgreSQL.
   * Longer than the decision's transaction can take (statement timeout 5 s, idle in transaction 10 s).
   */
  claimLeaseMs?: number;
  /** Where decisions' and expiries' events go; the dispatcher listens to its `onWake`. */
  outbox?: PostgresWebhookOutbox;
  /**
   * Whether a client has a webhook (its sessions then get expiry events). Defaults to a query on
   * PostgreSQL's clients table; the service passes its cached client lookup.
   */
  hasWebhook?: (clientId: string) => Promise<boolean>;
}

/** Live sessions in Redis, each decision durable in PostgreSQL: see the comment at the top of this file. */
export class RedisSessionStore implements SessionStore {
  readonly #redis: RedisClient;
  readonly #pool: Pool;
  readonly #prefix: string;
  readonly #shards: number;
  /** Which shard gets the first of the limit's remainder in the next sweep. */
  #nextSweep = 0;
  readonly #retainMs: number;
  readonly #leaseMs: number;
  readonly #outbox: PostgresWebhookOutbox;
  readonly #hasWebhook: (clientId: string) => Promise<boolean>;

  constructor(redis: RedisClient, pool: Pool, options: RedisSessionStoreOptions = {}) {
    this.#redis = redis;
    this.#pool = pool;
    this.#prefix = options.prefix ?? 'kycvs:';
    this.#shards = options.sweepShards ?? 1;
    if (!Number.isInteger(this.#shards) || this.#shards < 1 || this.#shards > 1024) throw new RangeError('sweepShards must be a whole number from 1 to 1024');
    this.#retainMs = options.retainMs ?? 86_400_000;
    this.#leaseMs = options.claimLeaseMs ?? 30_000;
    this.#outbox = options.outbox ?? new PostgresWebhookOutbox();
    this.#hasWebhook =
      options.hasWebhook ??
      (async (clientId) => {
        const { rows } = await query(pool, 'SELECT 1 FROM clients WHERE id = $1 AND webhook_url IS NOT NULL', [clientId]);
        return rows.length > 0;
      });
  }

  get outbox(): PostgresWebhookOutbox {
    return this.#outbox;
  }

  async create(session: NewSession): Promise<void> {
    await this.#create(session, { state: 'created', sends: 0 });
  }

  async createWithOtp(session: NewSession, otp: OtpIssue): Promise<void> {
    await this.#create(session, { state: TRANSITIONS.send_code.to, sends: 1, person_fixed_by: 'backend', ...otpFields(otp) });
  }

  async get(id: string): Promise<Session | null> {
    let hash = await this.#read(id);
    if (hash && this.#staleClaim(hash)) {
      await this.#settleFromPostgres(id);
      hash = await this.#read(id);
    }
    return hash ? sessionFromRow(rowFromHash(hash)) : null;
  }

  async recordOtpSent(id: string, previousSends: number, otp: OtpIssue): Promise<boolean> {
    const fields = { state: TRANSITIONS.send_code.to, ...otpFields(otp) };
    return (await this.#cas(id, SCRIPTS.otpSent, [], [previousSends, otp.mobileHash, otp.nameHash, ...fieldArgs(fields)])) === 1;
  }

  async recordWrongOtp(id: string, maxAttempts: number): Promise<{ failedAttempts: number; state: SessionState } | null> {
    const now = Date.now();
    const reply = await this.#cas(id, SCRIPTS.wrongOtp, [], [maxAttempts]);
    if (typeof reply === 'number') return null;
    const [failedAttempts, state, webhook] = reply as [number, SessionState, string];
    if (state === 'locked' && webhook === '1') {
      // The lock stands in Redis; its event is owed until it commits (then retried by expireDue).
      const shard = this.#shardOf(id);
      await this.#enlist(this.#sweepKey('session-events-owed', shard), now, id)
        .then(() => this.#writeOwedEvents([id], now, shard))
        .catch(() => {});
    }
    return { failedAttempts, state };
  }

  async markVerified(id: string, otpHash: Buffer, consentTicketHash: Buffer, holder: TicketHolder): Promise<boolean> {
    const fields = { state: TRANSITIONS.verify_code.to, otp_hash: null, otp_sha256_hash: null, consent_ticket_hash: consentTicketHash, ticket_holder: holder };
    return (await this.#cas(id, SCRIPTS.verified, [], [otpHash, ...fieldArgs(fields)])) === 1;
  }

  async recordNameTry(id: string, previousTries: number, maxTries: number, person: CorrectedPerson | null): Promise<boolean> {
    // A miss keeps the person; a match replaces name, status and pseudonym together.
    const fields: Record<string, FieldValue> = { state: TRANSITIONS.correct_name.to, name_matched: person ? 1 : 0 };
    if (person) Object.assign(fields, { name_hash: person.nameHash, vaccination_status: person.vaccinationStatus, subject: person.subject });
    return (await this.#cas(id, SCRIPTS.nameTry, [], [previousTries, maxTries, ...fieldArgs(fields)])) === 1;
  }

  async complete(
    id: string,
    transition: DisclosingTransition,
    otpHash: Buffer | null,
    token: { token: string; jti: string },
    audit: AuditEvent,
  ): Promise<boolean> {
    const claim: Claim = { id: crypto.randomUUID(), state: TRANSITIONS[transition].to, token: token.token, jti: token.jti, at: audit.at };
    return this.#decide(id, transition, transition === 'consent_with_code' ? otpHash : null, claim, audit, 'session.completed', { token: token.token });
  }

  async deny(id: string, audit: AuditEvent): Promise<boolean> {
    const claim: Claim = { id: crypto.randomUUID(), state: TRANSITIONS.deny.to, token: null, jti: null, at: audit.at };
    return this.#decide(id, 'deny', null, claim, audit, 'session.denied', {});
  }

  /** Nothing to remove: every session's hash expires by itself `retainMs` after the session. */
  async prune(): Promise<number> {
    return 0;
  }

  /**
   * Ends the sessions of webhook clients that expired before `now - graceMs` undecided, each
   * `expired` with its `session.expired` event (and writes owed `session.failed` events), at most
   * `limit` per call; any number of processes may call it at once. Returns the events written.
   */
  async expireDue(now: number, graceMs: number, limit = 500): Promise<number> {
    // Every shard at once, each with its share of the limit (the remainder going round from call to
    // call): a master that does not answer costs the sweep one command timeout, not one per shard,
    // and the other shards' events are written meanwhile; its error is thrown after them.
    const base = Math.floor(limit / this.#shards);
    const extra = limit % this.#shards;
    const first = this.#nextSweep++ % this.#shards;
    const sweeps: Promise<number>[] = [];
    for (let i = 0; i < this.#shards; i++) {
      const share = base + (i < extra ? 1 : 0);
      if (share > 0) sweeps.push(this.#sweepShard((first + i) % this.#shards, now, graceMs, share));
    }
    const outcomes = await Promise.allSettled(sweeps);
    const failure = outcomes.find((outcome) => outcome.status === 'rejected');
    if (failure) throw failure.reason;
    return outcomes.reduce((written, outcome) => written + (outcome.status === 'fulfilled' ? outcome.value : 0), 0);
  }

  // --- internals

  /** One of the sweep's sets of a shard: tagged `{shard}` on a cluster, the unsharded name on one Redis. */
  #sweepKey(set: 'session-expiry' | 'session-events-owed', shard: number): string {
    return this.#shards === 1 ? `${this.#prefix}${set}` : `${this.#prefix}${set}:{${shard}}`;
  }

  #shardOf(id: string): number {
    return hashSlot(id) % this.#shards;
  }

  #key(id: string): string {
    return `${this.#prefix}session:${id}`;
  }

  /** One shard's part of expireDue: at most `limit` of its due and owed sessions ended, their events written. */
  async #sweepShard(shard: number, now: number, graceMs: number, limit: number): Promise<number> {
    const args = [now, now - graceMs, limit, now - this.#leaseMs, now + this.#retainMs];
    const ids = (await this.#run(SCRIPTS.takeDue, [this.#sweepKey('session-expiry', shard), this.#sweepKey('session-events-owed', shard)], args)) as string[];
    return ids.length === 0 ? 0 : this.#writeOwedEvents(ids, now, shard);
  }

  /** Puts `id` in one of the sweep's sets (kept as long as a member may wait there). */
  async #enlist(set: string, score: number, id: string): Promise<void> {
    await this.#run(SCRIPTS.enlist, [set], [score, id, Date.now() + this.#retainMs * 2]);
  }

  async #run(script: RedisScript, keys: readonly string[], args: readonly (string | number | Buffer)[]): Promise<unknown> {
    return script.run(this.#redis, keys, args);
  }

  async #read(id: string): Promise<Record<string, Buffer> | null> {
    let hash: Record<string, Buffer>;
    try {
      hash = await this.#redis.hgetallBuffer(this.#key(id));
    } catch (err) {
      throw mapRedisError(err);
    }
    return hash.state ? hash : null;
  }

  #staleClaim(hash: Record<string, Buffer>): boolean {
    return hash.claim_until !== undefined && Number(hash.claim_until.toString()) <= Date.now();
  }

  async #create(session: NewSession, fields: Record<string, FieldValue>): Promise<void> {
    const webhook = await this.#hasWebhook(session.clientId);
    const all: Record<string, FieldValue> = {
      id: session.id,
      client_id: session.clientId,
      mode: session.mode,
      origin: session.origin,
      purpose: session.purpose,
      nonce: session.nonce,
      created_at: session.createdAt,
      expires_at: session.expiresAt,
      failed_attempts: 0,
      name_tries: 0,
      webhook: webhook ? '1' : '0',
      ...fields,
    };
    // NULLs of a new hash are simply absent.
    for (const [k, v] of Object.entries(all)) if (v === null) delete all[k];
    // Due for the sweep before it exists: a crash in between leaves a member whose session is not
    // there, which the sweep drops; the other order could leave a session it never ends.
    if (webhook) await this.#enlist(this.#sweepKey('session-expiry', this.#shardOf(session.id)), session.expiresAt, session.id);
    await this.#run(SCRIPTS.create, [this.#key(session.id)], [Date.now(), session.expiresAt + this.#retainMs, session.id, ...fieldArgs(all)]);
  }

  /**
   * Runs a transition's CAS script; a stale claim in the way is resolved against PostgreSQL and
   * the script run once more. Returns the script's reply (0 when the session did not move).
   */
  async #cas(id: string, script: RedisScript, extraKeys: readonly string[], args: readonly (string | number | Buffer)[]): Promise<unknown> {
    for (let attempt = 0; ; attempt++) {
      const reply = await this.#run(script, [this.#key(id), ...extraKeys], [Date.now(), ...args]);
      if (reply !== -1) return reply;
      if (attempt === 1) return 0;
      await this.#settleFromPostgres(id);
    }
  }

  async #decide(
    id: string,
    transition: Decision,
    otpHash: Buffer | null,
    claim: Claim,
    audit: AuditEvent,
    type: WebhookEventType,
    extra: EventExtra,
  ): Promise<boolean> {
    // 1. claim
    const claimFields = { claim_id: claim.id, claim_until: Date.now() + this.#leaseMs, claim_state: claim.state, claim_token: claim.token, claim_jti: claim.jti, claim_at: claim.at };
    const reply = await this.#cas(id, SCRIPTS.claim, [], [transition, otpHash ?? '', ...fieldArgs(claimFields)]);
    if (typeof reply === 'number') return false;
    const [, clientId, nonce] = reply as [number, string, string | null];
    // 2. commit
    let wrote: boolean;
    try {
      wrote = await this.#commitDecision(audit, { type, at: audit.at, extra, target: { sessionId: id, clientId, nonce } });
    } catch (err) {
      if (err instanceof DecisionTaken) {
        // Redis lost or replayed the session: PostgreSQL's decision is the session's.
        await this.#settleFromPostgres(id);
        await this.#run(SCRIPTS.release, [this.#key(id)], [Date.now(), claim.id, 'drop']);
        return false;
      }
      // It may or may not have committed: the next reader resolves the claim against PostgreSQL at once.
      await this.#run(SCRIPTS.release, [this.#key(id)], [Date.now(), claim.id, 'stale']).catch(() => {});
      throw err;
    }
    // 3. settle — the decision is durable: Redis follows it even if another process resolved the
    // claim meanwhile (then forced), and a Redis failure here only delays it (the claim goes stale).
    try {
      const args = [claim.state, claim.token ?? '', claim.jti ?? '', claim.at];
      if ((await this.#run(SCRIPTS.settle, [this.#key(id)], [Date.now(), claim.id, ...args])) !== 1) {
        await this.#run(SCRIPTS.settle, [this.#key(id)], [Date.now(), '', ...args]);
      }
    } catch {
      // The claim holds the token; whoever reads the session next settles it from PostgreSQL.
    }
    if (wrote) this.#outbox.wake();
    return true;
  }

  /** Step 2: audit record and event, both or neither, in one round trip; DecisionTaken when either was already there. True if an event was written. */
  async #commitDecision(audit: AuditEvent, event: EventToWrite): Promise<boolean> {
    return recordDecision(this.#pool, audit, this.#outbox.row(event));
  }

  /**
   * Brings the Redis session to what PostgreSQL holds for it: its decision (with the claimed token
   * when the claim is that decision), its expiry or lock event; releases a stale claim PostgreSQL
   * knows nothing of.
   */
  async #settleFromPostgres(id: string): Promise<void> {
    const hash = await this.#read(id);
    if (!hash) return;
    const { rows } = await query<{ event: 'allow' | 'deny' | null; token_jti: string | null; at: number | null; type: WebhookEventType | null; payload: string | null }>(
      this.#pool,
      `SELECT a.event, a.token_jti, a.at, w.type, w.payload FROM (SELECT $1::text AS id) s
       LEFT JOIN audit_events a ON a.session_id = s.id LEFT JOIN webhook_events w ON w.session_id = s.id`,
      [id],
    );
    const pg = rows[0]!;
    const claimId = hash.claim_id?.toString() ?? '';
    const key = [this.#key(id)];
    const now = Date.now();
    if (pg.event) {
      const state: SessionState = pg.event === 'allow' ? TRANSITIONS.allow.to : TRANSITIONS.deny.to;
      if (claimId && hash.claim_state?.toString() === state && (hash.claim_jti?.toString() ?? null) === pg.token_jti) {
        const claimed = [state, hash.claim_token?.toString() ?? '', pg.token_jti ?? '', hash.claim_at?.toString() ?? ''];
        if ((await this.#run(SCRIPTS.settle, key, [now, claimId, ...claimed])) === 1) return;
      }
      // Not this process's claim: the token is known only from a completed event's payload.
      const token = pg.type === 'session.completed' && pg.payload ? ((JSON.parse(pg.payload) as { data: { token?: string } }).data.token ?? '') : '';
      await this.#run(SCRIPTS.settle, key, [now, '', state, token, pg.token_jti ?? '', pg.at ?? '']);
    } else if (pg.type === 'session.expired' || pg.type === 'session.failed') {
      await this.#run(SCRIPTS.settle, key, [now, '', pg.type === 'session.expired' ? 'expired' : 'locked', '', '', '']);
    } else if (claimId && this.#staleClaim(hash)) {
      await this.#run(SCRIPTS.release, key, [now, claimId, 'drop']);
    }
  }

  /**
   * Owed sessions (taken by expireDue, or just locked): each ended in Redis, then their events
   * written in one transaction; each leaves the owed set once its event committed (or none is due).
   * The sessions are ended side by side: one whose key does not answer (its cluster master away)
   * stays owed, and its error is thrown once the others' events are written.
   */
  async #writeOwedEvents(ids: readonly string[], now: number, shard: number): Promise<number> {
    const ended = await Promise.allSettled(ids.map((id) => this.#endOwed(id, now)));
    const events: EventToWrite[] = [];
    const done: string[] = [];
    for (const [i, outcome] of ended.entries()) {
      if (outcome.status === 'fulfilled' && outcome.value !== 'later') {
        done.push(ids[i]!);
        if (outcome.value !== 'none') events.push(outcome.value);
      }
    }
    const { wanted, written } = await inTransaction(this.#pool, (client) => this.#outbox.enqueue(client, events));
    if (written.size > 0) this.#outbox.wake();
    // An event already there is this one written before (a retry) or a decision PostgreSQL holds
    // for a session Redis lost or replayed: either way the session becomes what PostgreSQL says.
    for (const id of wanted) if (!written.has(id)) await this.#settleFromPostgres(id);
    if (done.length > 0) {
      try {
        await this.#redis.zrem(this.#sweepKey('session-events-owed', shard), ...done);
      } catch (err) {
        throw mapRedisError(err);
      }
    }
    const failure = ended.find((outcome) => outcome.status === 'rejected');
    if (failure) throw failure.reason;
    return written.size;
  }

  /** One owed session ended in Redis: its event to write, 'none' (nothing is owed after all) or 'later' (a decision in flight: retried after the lease). */
  async #endOwed(id: string, now: number): Promise<EventToWrite | 'none' | 'later'> {
    let reply = (await this.#run(SCRIPTS.expire, [this.#key(id)], [now])) as [string, string?, string?, (string | null)?];
    if (reply[0] === 'stale') {
      await this.#settleFromPostgres(id);
      reply = (await this.#run(SCRIPTS.expire, [this.#key(id)], [now])) as typeof reply;
    }
    const [kind, at, clientId, nonce] = reply;
    if (kind === 'wait' || kind === 'stale') return 'later';
    if (kind !== 'session.expired' && kind !== 'session.failed') return 'none';
    const target: EventTarget = { sessionId: id, clientId: clientId!, nonce: nonce ?? null };
    return { type: kind, at: Number(at), target, extra: kind === 'session.failed' ? { reason: 'otp_locked' as const } : {} };
  }
}

/** The expiry sweep of Redis sessions, in the shape the webhook dispatcher calls (as ExpirySweeper's). */
export class RedisExpirySweeper {
  readonly #store: RedisSessionStore;
  readonly #graceMs: number;
  readonly #limit: number;

  constructor(store: RedisSessionStore, graceMs: number, limit = 500) {
    this.#store = store;
    this.#graceMs = graceMs;
    this.#limit = limit;
  }

  /** One sweep; returns how many events it wrote. */
  sweep(now: number): Promise<number> {
    return this.#store.expireDue(now, this.#graceMs, this.#limit);
  }
}
