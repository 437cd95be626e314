// A real Redis for a test file: KYCVS_TEST_REDIS_URL, else 127.0.0.1:6379. Each call gets its own
// key prefix; every key under it is deleted when the file's tests end, also when a test failed.
import crypto from 'node:crypto';
import { after } from 'node:test';
import { closeRedisClient, createRedisClient, type RedisClient } from '../server/store/redis.ts';
import { deleteKeysUnder } from './redis-keys.ts';

export const testRedisUrl = (): string => process.env.KYCVS_TEST_REDIS_URL || 'redis://127.0.0.1:6379';

export interface TestRedis {
  url: string;
  /** The service's kind of client (server/store/redis.ts), connected. */
  redis: RedisClient;
  /** Put before every key this test run makes. */
  prefix: string;
}

const live = new Set<{ redis: RedisClient; prefix: string }>();

// Registered on import, at the test file's top level, so node:test runs it whatever failed.
after(async () => {
  for (const t of live) {
    await deleteKeysUnder(t.redis, t.prefix);
    await closeRedisClient(t.redis);
  }
  live.clear();
});

/** A key prefix no other test run uses. */
export const freshTestPrefix = (): string => `kycvs-test:${process.pid}:${crypto.randomBytes(4).toString('hex')}:`;

/** Deletes every key under the client's prefix and closes it when the file's tests end (one Redis or a cluster). */
export function cleanUpAfterFile<T extends { redis: RedisClient; prefix: string }>(t: T): T {
  live.add(t);
  return t;
}

/** A connected client and a fresh prefix; fails with how to start a Redis when none answers. */
export async function connectTestRedis(): Promise<TestRedis> {
  const url = testRedisUrl();
  const redis = createRedisClient(url);
  try {
    await redis.ping();
  } catch (err) {
    await closeRedisClient(redis);
    const where = new URL(url);
    throw new Error(
      `No Redis answers at ${where.host} (KYCVS_TEST_REDIS_URL): start one with  redis-server --daemonize yes --port ${where.port || 6379} --save ""`,
      { cause: err },
    );
  }
  return cleanUpAfterFile({ url, redis, prefix: freshTestPrefix() });
}
