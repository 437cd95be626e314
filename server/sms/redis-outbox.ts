import { mapRedisError, type RedisClient } from '../store/redis.ts';
import type { OutboxEntry } from './outbox.ts';
import type { SmsMessage, SmsSender } from './sms.ts';

/** The demo outbox lives an hour after its last text: a demo, not a record. */
const OUTBOX_TTL_SECONDS = 3600;

/**
 * The demo outbox when several service processes run (Redis configured): each process pushes the
 * texts it "sends" to one capped list, so the demo page shows every code whichever process sent it.
 * Demo mode only, like OutboxSmsSender: it holds plaintext numbers and codes.
 */
export class RedisOutboxSmsSender implements SmsSender {
  readonly #redis: RedisClient;
  readonly #key: string;
  readonly #capacity: number;

  constructor(redis: RedisClient, { prefix, capacity = 500 }: { prefix: string; capacity?: number }) {
    this.#redis = redis;
    this.#key = `${prefix}demo-outbox`;
    this.#capacity = capacity;
  }

  async send(message: SmsMessage): Promise<void> {
    const entry: OutboxEntry = { to: message.to, text: message.text, sent_at: new Date().toISOString() };
    try {
      await this.#redis
        .multi()
        .lpush(this.#key, JSON.stringify(entry))
        .ltrim(this.#key, 0, this.#capacity - 1)
        .expire(this.#key, OUTBOX_TTL_SECONDS)
        .exec();
    } catch (err) {
      throw mapRedisError(err);
    }
  }

  /** Newest first. */
  async list(mobile?: string): Promise<OutboxEntry[]> {
    let raw: string[];
    try {
      raw = await this.#redis.lrange(this.#key, 0, -1);
    } catch (err) {
      throw mapRedisError(err);
    }
    return raw.map((r) => JSON.parse(r) as OutboxEntry).filter((e) => mobile === undefined || e.to === mobile);
  }
}
