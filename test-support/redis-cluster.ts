// A real Redis Cluster for a test file (./redis-cluster-server.ts starts it): one shared by the
// file's tests, or the cluster at KYCVS_TEST_REDIS_CLUSTER_URL (seed nodes, comma-separated), with a
// fresh key prefix per call whose keys are deleted when the file's tests end, also when one failed.
import { after } from 'node:test';
import type { Cluster } from 'ioredis';
import { createRedisClient } from '../server/store/redis.ts';
import { cleanUpAfterFile, freshTestPrefix } from './redis.ts';
import { running, startRedisCluster, untilReady } from './redis-cluster-server.ts';

export { startRedisCluster } from './redis-cluster-server.ts';

export interface TestRedisCluster {
  /** Seed nodes, as KYCVS_REDIS_URL takes them with KYCVS_REDIS_CLUSTER=1. */
  url: string;
  /** The service's kind of cluster client, connected. */
  redis: Cluster;
  prefix: string;
}

let shared: Promise<string> | null = null;

// Registered on import, after ./redis.ts's (imported first), so the keys are gone before the nodes.
after(() => {
  for (const c of running) c.stop();
});

/** A connected cluster client and a fresh prefix, on the file's shared cluster. */
export async function connectTestRedisCluster(): Promise<TestRedisCluster> {
  const given = process.env.KYCVS_TEST_REDIS_CLUSTER_URL;
  shared ??= given ? Promise.resolve(given) : startRedisCluster().then((c) => c.url);
  const url = await shared;
  const redis = createRedisClient(url, { cluster: true }) as Cluster;
  await untilReady(redis);
  return cleanUpAfterFile({ url, redis, prefix: freshTestPrefix() });
}
