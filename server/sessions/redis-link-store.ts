import { mapRedisError, type RedisClient } from '../store/redis.ts';
import { isLinkCode, linkHash, linkUrl, newLinkCode, type SessionLinks } from './link-store.ts';

export interface RedisSessionLinksOptions {
  /** Put before every key (KYCVS_REDIS_PREFIX), as RedisSessionStore's. */
  prefix?: string;
  /**
   * How long a link opens its session: the session's lifetime (KYCVS_SESSION_TTL_SECONDS), plus
   * as long as the ended session is kept (RedisSessionStore's `retainMs`) if an old link should
   * still say "expired" rather than "no such link".
   */
  ttlMs: number;
}

/**
 * Verification links in Redis: key = the code's SHA-256 (as SQLite stores it: a copy of Redis
 * opens no link), value = the session id, TTL = the session's: nothing to prune.
 */
export class RedisSessionLinks implements SessionLinks {
  readonly #redis: RedisClient;
  readonly #issuer: string;
  readonly #prefix: string;
  readonly #ttlMs: number;

  constructor(redis: RedisClient, issuer: string, { prefix = 'kycvs:', ttlMs }: RedisSessionLinksOptions) {
    this.#redis = redis;
    this.#issuer = issuer;
    this.#prefix = `${prefix}link:`;
    this.#ttlMs = ttlMs;
  }

  async create(sessionId: string): Promise<string> {
    const code = newLinkCode();
    try {
      await this.#redis.set(this.#key(code), sessionId, 'PX', this.#ttlMs);
    } catch (err) {
      throw mapRedisError(err);
    }
    return linkUrl(this.#issuer, code);
  }

  async sessionFor(code: string): Promise<string | null> {
    if (!isLinkCode(code)) return null;
    try {
      return await this.#redis.get(this.#key(code));
    } catch (err) {
      throw mapRedisError(err);
    }
  }

  #key(code: string): string {
    return this.#prefix + linkHash(code).toString('hex');
  }
}
