// One service process's share of redis-rate-counter.test.ts's race: connects, says "ready", waits
// for a line on stdin, then sends `n` hitAll calls at once and prints how many were admitted.
//   node --import tsx test-support/redis-hit-child.ts <redis url> <key prefix> <limit> <n>
import readline from 'node:readline';
import { RedisRateCounter } from '../server/quotas/redis-rate-counter.ts';
import { closeRedisClient, createRedisClient } from '../server/store/redis.ts';

const [url, prefix, limit, n] = process.argv.slice(2);
const redis = createRedisClient(url!);
const counter = new RedisRateCounter(redis, { prefix });
await redis.ping();
process.stdout.write('ready\n');
await new Promise((resolve) => readline.createInterface({ input: process.stdin }).once('line', resolve));
const quotas = [
  { key: 'sms:mobile:race', limit: Number(limit), windowSeconds: 3600 },
  { key: 'sms:global', limit: 1_000_000, windowSeconds: 60 },
];
const results = await Promise.all(Array.from({ length: Number(n) }, () => counter.hitAll(quotas)));
process.stdout.write(`${JSON.stringify({ admitted: results.filter((r) => r === null).length })}\n`);
await closeRedisClient(redis);
process.exit(0);
