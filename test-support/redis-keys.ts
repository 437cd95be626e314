// Deletes every Redis key under a prefix. No node:test here, so benchmarks can use it; tests use ./redis.ts.
import { Cluster } from 'ioredis';
import type { RedisClient } from '../server/store/redis.ts';

/** On a cluster, every master's keys: SCAN walks one node, and a key is deleted on its own (its own slot). */
export async function deleteKeysUnder(redis: RedisClient, prefix: string): Promise<void> {
  for (const node of redis instanceof Cluster ? redis.nodes('master') : [redis]) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      if (keys.length) await Promise.all(keys.map((k) => node.unlink(k)));
      cursor = next;
    } while (cursor !== '0');
  }
}
