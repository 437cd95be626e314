// A real Redis Cluster for a test file: KYCVS_TEST_REDIS_CLUSTER_URL (seed nodes, comma-separated),
// else three masters started here from the machine's redis-server on free ports, in a temp dir,
// stopped when the file's tests end. Each call gets its own key prefix, deleted at the end.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after } from 'node:test';
import { Cluster, Redis } from 'ioredis';
import { closeRedisClient, createRedisClient } from '../server/store/redis.ts';
import { deleteKeysUnder } from './redis-keys.ts';

export interface TestRedisCluster {
  /** Seed nodes, as KYCVS_REDIS_URL takes them with KYCVS_REDIS_CLUSTER=1. */
  url: string;
  /** The service's kind of cluster client, connected. */
  redis: Cluster;
  prefix: string;
}

const MASTERS = 3;
const run = promisify(execFile);
let started: Promise<string> | null = null;
const nodes: ChildProcess[] = [];
const clients = new Set<TestRedisCluster>();
let dir: string | null = null;

const stopNodes = () => {
  for (const node of nodes) node.kill('SIGKILL');
  nodes.length = 0;
};
process.once('exit', stopNodes);

after(async () => {
  for (const c of clients) {
    await deleteKeysUnder(c.redis, c.prefix);
    await closeRedisClient(c.redis);
  }
  clients.clear();
  stopNodes();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** A port free on 127.0.0.1 whose cluster bus port (+10000) is free too. */
async function freePort(): Promise<number> {
  const listen = (port: number) =>
    new Promise<number | null>((resolve) => {
      const server = net.createServer();
      server.once('error', () => resolve(null));
      server.listen(port, '127.0.0.1', () => {
        const got = (server.address() as net.AddressInfo).port;
        server.close(() => resolve(got));
      });
    });
  for (;;) {
    const port = 20_000 + crypto.randomInt(30_000);
    if ((await listen(port)) !== null && (await listen(port + 10_000)) !== null) return port;
  }
}

async function until(what: string, ready: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ready().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`test Redis Cluster: ${what} did not happen within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function startCluster(): Promise<string> {
  const binary = ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].find((p) => fs.existsSync(p));
  if (!binary) throw new Error('No redis-server for the Redis Cluster tests: apt-get install -y redis-server (or set KYCVS_TEST_REDIS_CLUSTER_URL)');
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kycvs-redis-cluster-'));
  const ports: number[] = [];
  for (let i = 0; i < MASTERS; i++) {
    const port = await freePort();
    ports.push(port);
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`,
      '--cluster-node-timeout', '2000', '--save', '', '--appendonly', 'no', '--dir', dir];
    nodes.push(spawn(binary, args, { stdio: 'ignore' }));
  }
  // A fresh connection each try: one that failed before the server was up never comes back.
  const ask = async <T>(port: number, command: (r: Redis) => Promise<T>): Promise<T> => {
    const r = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    r.on('error', () => {});
    try {
      await r.connect();
      return await command(r);
    } finally {
      r.disconnect();
    }
  };
  for (const port of ports) await until(`redis-server on ${port} answering`, async () => (await ask(port, (r) => r.ping())) === 'PONG');
  const cli = binary.replace(/redis-server$/, 'redis-cli');
  await run(cli, ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes']);
  for (const port of ports) {
    await until(`the cluster state ok on ${port}`, async () => /cluster_state:ok/.test(await ask(port, (r) => r.cluster('INFO'))));
  }
  return ports.map((p) => `redis://127.0.0.1:${p}`).join(',');
}

/** A connected cluster client and a fresh prefix. */
export async function connectTestRedisCluster(): Promise<TestRedisCluster> {
  const given = process.env.KYCVS_TEST_REDIS_CLUSTER_URL;
  started ??= given ? Promise.resolve(given) : startCluster();
  const url = await started;
  const redis = createRedisClient(url, { cluster: true }) as Cluster;
  await until('the cluster client ready', async () => (await redis.ping()) === 'PONG');
  const c = { url, redis, prefix: `kycvs-test:${process.pid}:${crypto.randomBytes(4).toString('hex')}:` };
  clients.add(c);
  return c;
}
