import { mapRedisError, type RedisClient } from '../store/redis.ts';
import { type NewSignIn, type SentCode, type SignIn, type SignInState, type SignInStore, signInFromRow } from './sign-in-store.ts';

/*
 * One Redis hash per sign-in, its fields named as SQLite's columns (a null column is an absent
 * field), its TTL the sign-in's expiry: Redis drops it when SQLite's prune would, so nothing needs
 * pruning. Every change is one Lua script (Redis runs one at a time), the same compare-and-set on
 * the state (and sends, and code) as SQLite's UPDATE … WHERE: of racing calls, one moves the sign-in.
 * A script on a missing key (expired, never made) reads state as false and writes nothing, so a
 * late call never brings an expired sign-in back without a TTL.
 */

/** KEYS: the sign-in. ARGV: ttl ms, id, mobile_hash, created_at, expires_at, otp_hash, otp_sent_at, otp_expires_at. 1, or 0 if it exists. */
const CREATE_LUA = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'id', ARGV[2], 'mobile_hash', ARGV[3], 'state', 'code_sent', 'created_at', ARGV[4],
  'expires_at', ARGV[5], 'otp_hash', ARGV[6], 'otp_sent_at', ARGV[7], 'otp_expires_at', ARGV[8], 'sends', 1, 'failed_attempts', 0)
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1`;

/** ARGV: previous sends, otp_hash, otp_sent_at, otp_expires_at. 1 if resent. */
const RESEND_LUA = `
if redis.call('HGET', KEYS[1], 'state') ~= 'code_sent' then return 0 end
if tonumber(redis.call('HGET', KEYS[1], 'sends')) ~= tonumber(ARGV[1]) then return 0 end
redis.call('HINCRBY', KEYS[1], 'sends', 1)
redis.call('HSET', KEYS[1], 'otp_hash', ARGV[2], 'otp_sent_at', ARGV[3], 'otp_expires_at', ARGV[4])
return 1`;

/** ARGV: max attempts. {failed attempts, 1 if now locked}, or {0, 0} if it was not awaiting a code. */
const WRONG_CODE_LUA = `
if redis.call('HGET', KEYS[1], 'state') ~= 'code_sent' then return {0, 0} end
local failed = redis.call('HINCRBY', KEYS[1], 'failed_attempts', 1)
if failed < tonumber(ARGV[1]) then return {failed, 0} end
redis.call('HSET', KEYS[1], 'state', 'locked')
redis.call('HDEL', KEYS[1], 'otp_hash')
return {failed, 1}`;

/** ARGV: otp_hash checked, secret_hash, expires_at, ttl ms. 1 if signed in. */
const SIGNED_IN_LUA = `
if redis.call('HGET', KEYS[1], 'state') ~= 'code_sent' then return 0 end
if redis.call('HGET', KEYS[1], 'otp_hash') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'state', 'signed_in', 'secret_hash', ARGV[2], 'expires_at', ARGV[3])
redis.call('HDEL', KEYS[1], 'otp_hash')
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1`;

const SIGN_OUT_LUA = `
if redis.call('HGET', KEYS[1], 'state') ~= 'signed_in' then return 0 end
redis.call('HSET', KEYS[1], 'state', 'signed_out')
redis.call('HDEL', KEYS[1], 'secret_hash')
return 1`;

type ScriptArg = string | number | Buffer;
type Script = (key: string, ...args: ScriptArg[]) => Promise<unknown>;

/**
 * A script as an ioredis custom command: sent by SHA, sent whole when Redis does not have it
 * (NOSCRIPT), as RedisRateCounter's. Defining the same name again on a shared client is harmless.
 */
function defineScript(redis: RedisClient, name: string, lua: string): Script {
  redis.defineCommand(name, { lua, numberOfKeys: 1 });
  // defineCommand adds the method at run time; ioredis's types cannot know it.
  const command = (redis as unknown as Record<string, Script>)[name]!;
  return command.bind(redis);
}

export class SignInExistsError extends Error {
  readonly code = 'sign_in_exists';
}

export interface RedisSignInStoreOptions {
  /** Put before every key, so sign-ins share a Redis with other data (and a test run has its own). */
  prefix?: string;
}

/** Sign-ins in Redis: SqliteSignInStore's behaviour, with TTLs instead of pruning. Redis away is a DatabaseUnavailableError. */
export class RedisSignInStore implements SignInStore {
  readonly #redis: RedisClient;
  readonly #prefix: string;
  readonly #scripts;

  constructor(redis: RedisClient, { prefix = 'kycvs:me-sign-in:' }: RedisSignInStoreOptions = {}) {
    this.#redis = redis;
    this.#prefix = prefix;
    this.#scripts = {
      create: defineScript(redis, 'kycvsSignInCreate', CREATE_LUA),
      resend: defineScript(redis, 'kycvsSignInResend', RESEND_LUA),
      wrongCode: defineScript(redis, 'kycvsSignInWrongCode', WRONG_CODE_LUA),
      signedIn: defineScript(redis, 'kycvsSignInSignedIn', SIGNED_IN_LUA),
      signOut: defineScript(redis, 'kycvsSignInSignOut', SIGN_OUT_LUA),
    };
  }

  async create(s: NewSignIn): Promise<void> {
    const created = await this.#run(() =>
      this.#scripts.create(this.#key(s.id), ttlUntil(s.expiresAt), s.id, s.mobileHash, s.createdAt, s.expiresAt, s.otpHash, s.otpSentAt, s.otpExpiresAt),
    );
    if (created !== 1) throw new SignInExistsError(`sign-in ${s.id} exists already`);
  }

  async get(id: string): Promise<SignIn | null> {
    const f = await this.#run(() => this.#redis.hgetallBuffer(this.#key(id)));
    if (!f.state) return null;
    const num = (field: string) => Number(f[field]!.toString());
    return signInFromRow({
      id: f.id!.toString(),
      mobile_hash: f.mobile_hash!,
      state: f.state.toString() as SignInState,
      created_at: num('created_at'),
      expires_at: num('expires_at'),
      otp_hash: f.otp_hash ?? null,
      otp_sent_at: num('otp_sent_at'),
      otp_expires_at: num('otp_expires_at'),
      sends: num('sends'),
      failed_attempts: num('failed_attempts'),
      secret_hash: f.secret_hash ?? null,
    });
  }

  async recordResend(id: string, previousSends: number, code: SentCode): Promise<boolean> {
    return (await this.#run(() => this.#scripts.resend(this.#key(id), previousSends, code.otpHash, code.otpSentAt, code.otpExpiresAt))) === 1;
  }

  async recordWrongCode(id: string, maxAttempts: number): Promise<{ failedAttempts: number; locked: boolean } | null> {
    const [failedAttempts, locked] = (await this.#run(() => this.#scripts.wrongCode(this.#key(id), maxAttempts))) as [number, number];
    return failedAttempts === 0 ? null : { failedAttempts, locked: locked === 1 };
  }

  async markSignedIn(id: string, otpHash: Buffer, secretHash: Buffer, expiresAt: number): Promise<boolean> {
    return (await this.#run(() => this.#scripts.signedIn(this.#key(id), otpHash, secretHash, expiresAt, ttlUntil(expiresAt)))) === 1;
  }

  async signOut(id: string): Promise<void> {
    await this.#run(() => this.#scripts.signOut(this.#key(id)));
  }

  #key(id: string): string {
    return this.#prefix + id;
  }

  async #run<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      throw mapRedisError(err);
    }
  }
}

/**
 * The TTL that ends a key at `expiresAt` (ms, this process's clock), relative so Redis's own clock
 * does not matter; at least 1 ms (one already over is gone at once, as a prune would drop it).
 */
function ttlUntil(expiresAt: number): number {
  return Math.max(1, Math.ceil(expiresAt - Date.now()));
}
