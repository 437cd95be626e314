import crypto from 'node:crypto';
import fs from 'node:fs';
import { Readable } from 'node:stream';
import pino from 'pino';
import { loadConfig } from '../../server/config.ts';
import { createLogger } from '../../server/logger.ts';
import { closeRedisClient, createRedisClient } from '../../server/store/redis.ts';
import { importCsv } from '../../server/registry/csv-import.ts';
import { parseCsvLine } from '../../server/registry/csv.ts';
import { syntheticRegistryCsv } from '../../server/registry/synthetic.ts';
import { openDurableStores } from '../../server/store/open-stores.ts';
import { deleteKeysUnder } from '../../test-support/redis-keys.ts';
import { createScratchDatabase } from '../../test-support/postgres-server.ts';
import { startRedisCluster } from '../../test-support/redis-cluster-server.ts';

/** A registered citizen the load generator can verify: the name matches the record on that mobile. */
export interface Person {
  mobile: string;
  name: string;
}

/**
 * Where the service under test keeps its data: the SQLite file in the data dir (the default), or
 * PostgreSQL + Redis as a national deployment runs (a scratch database, a fresh Redis key prefix),
 * on one Redis or on a Redis Cluster of 3 masters started for the run.
 */
export type StoreKind = 'sqlite' | 'distributed' | 'redis-cluster';

export interface FlowFixture {
  dataDir: string;
  store: StoreKind;
  clientId: string;
  apiKey: string;
  /** Allowlisted for widget-mode sessions. */
  origin: string;
  people: Person[];
  /** What the server needs in its environment to open this fixture's stores (data dir; database, Redis, KEK). */
  serverEnv: Record<string, string>;
  /** The scratch database's name (distributed only): its backends are found by it in pg_stat_activity. */
  databaseName: string | null;
  /** The Redis the live stores use (distributed only; seed nodes, comma-separated, on a cluster). */
  redisUrl: string | null;
  redisCluster: boolean;
  /** Drops the scratch database and deletes every Redis key under the prefix; safe to call twice. */
  dispose(): Promise<void>;
}

export const BENCH_CLIENT_ID = 'bench-railway';
export const REGISTRY_SEED = 1;

export const benchRedisUrl = (): string => process.env.KYCVS_TEST_REDIS_URL || 'redis://127.0.0.1:6379';

/**
 * One person per synthetic household (mobile shared by up to four beneficiaries): the first
 * beneficiary on each mobile, whose name is on the record, so every flow is a real match.
 */
export function syntheticPeople(rows: number, seed = REGISTRY_SEED): Person[] {
  const people: Person[] = [];
  let lineNo = 0;
  for (const chunk of syntheticRegistryCsv(rows, seed)) {
    for (const line of chunk.split('\n')) {
      if (line === '' || lineNo++ === 0) continue;
      const i = lineNo - 2;
      if (i % 4 !== 0) continue;
      const fields = parseCsvLine(line);
      if (!fields) throw new Error(`synthetic registry line ${lineNo} does not parse`);
      people.push({ mobile: fields[1]!, name: fields[2]! });
    }
  }
  return people;
}

/** Deletes every key under `prefix` (SCAN + UNLINK, in pages). */
export async function deleteRedisKeys(url: string, prefix: string): Promise<void> {
  const redis = createRedisClient(url);
  try {
    await deleteKeysUnder(redis, prefix);
  } finally {
    await closeRedisClient(redis);
  }
}

/**
 * A scratch PostgreSQL database, a fresh Redis prefix (on a Redis Cluster started for it, when
 * asked) and a new KEK, as environment; `dispose` removes them.
 */
async function distributedEnv(cluster: boolean): Promise<{ env: Record<string, string>; name: string; redisUrl: string; dispose(): Promise<void> }> {
  const redisCluster = cluster ? await startRedisCluster() : null;
  const scratch = await createScratchDatabase('kycvs_bench');
  const redisUrl = redisCluster?.url ?? benchRedisUrl();
  const prefix = `kycvs-bench:${process.pid}:${crypto.randomBytes(4).toString('hex')}:`;
  let disposed = false;
  return {
    env: {
      KYCVS_DATABASE_URL: scratch.url,
      KYCVS_REDIS_URL: redisUrl,
      ...(cluster ? { KYCVS_REDIS_CLUSTER: '1' } : {}),
      KYCVS_REDIS_PREFIX: prefix,
      KYCVS_KEK: crypto.randomBytes(32).toString('base64'),
    },
    name: scratch.name,
    redisUrl,
    async dispose() {
      if (disposed) return;
      disposed = true;
      // Both, whatever the other did: a failed drop must not leave the keys behind, nor the reverse.
      const keysGone = redisCluster ? Promise.resolve(redisCluster.stop()) : deleteRedisKeys(redisUrl, prefix);
      const results = await Promise.allSettled([scratch.drop(), keysGone]);
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    },
  };
}

/**
 * A data dir (and, distributed, a database and a Redis prefix) as an operator would set it up: a
 * synthetic registry imported through the CSV importer, and one verifier (API key for
 * server-to-server, an allowlisted origin for the widget). Seeded through the service's own
 * `openDurableStores`, so both stores get identical data the same way.
 */
export async function prepareFlowFixture(dataDir: string, rows: number, origins: string[], store: StoreKind = 'sqlite'): Promise<FlowFixture> {
  fs.mkdirSync(dataDir, { recursive: true });
  const distributed = store === 'sqlite' ? null : await distributedEnv(store === 'redis-cluster');
  const serverEnv: Record<string, string> = { KYCVS_DATA_DIR: dataDir, ...distributed?.env };
  try {
    const log = createLogger('warn', pino.destination({ dest: 2, sync: true }));
    const durable = await openDurableStores(loadConfig(serverEnv), log);
    try {
      const report = await importCsv(Readable.from(syntheticRegistryCsv(rows, REGISTRY_SEED)), durable.registry);
      if (report.imported !== rows) throw new Error(`fixture import: ${report.imported} of ${rows} rows imported`);
      const { apiKey } = await durable.clients.create({
        id: BENCH_CLIENT_ID,
        name: 'Bench Railways',
        purpose: 'Boarding a train (benchmark)',
        allowedOrigins: origins,
        // The bench's widget flows make keyless sessions (a public client), as the widget does.
        widgetSessions: true,
      });
      return {
        dataDir,
        store,
        clientId: BENCH_CLIENT_ID,
        apiKey,
        origin: origins[0]!,
        people: syntheticPeople(rows),
        serverEnv,
        databaseName: distributed?.name ?? null,
        redisUrl: distributed?.redisUrl ?? null,
        redisCluster: store === 'redis-cluster',
        dispose: async () => distributed?.dispose(),
      };
    } finally {
      await durable.close();
    }
  } catch (err) {
    await distributed?.dispose().catch(() => {});
    throw err;
  }
}
