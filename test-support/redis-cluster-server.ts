// A real Redis Cluster for tests and benchmarks: three masters started from the machine's
// redis-server (as root, Debian's redis-server is installed when there is none; otherwise a
// one-line instruction), on free ports, in a temp dir, killed when the process exits. A fault test
// can stop and resume a master. No node:test here, so benchmarks can use it; tests use ./redis-cluster.ts.
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { type Cluster, Redis } from 'ioredis';

export interface LocalRedisCluster {
  url: string;
  /** SIGSTOP / SIGCONT one master (0–2): a node that stalls or is cut off, then comes back with its data. */
  pause(master: number): void;
  resume(master: number): void;
  stop(): void;
}

const MASTERS = 3;
const run = promisify(execFile);
/** Every cluster this process started and has not stopped. */
export const running = new Set<LocalRedisCluster>();
process.once('exit', () => {
  for (const c of running) c.stop();
});

/** A port free on 127.0.0.1 whose cluster bus port (+10000) is free too. */
async function freePort(): Promise<number> {
  const listen = (port: number) =>
    new Promise<boolean>((resolve) => {
      const server = net.createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
  for (;;) {
    const port = 20_000 + crypto.randomInt(30_000);
    if ((await listen(port)) && (await listen(port + 10_000))) return port;
  }
}

async function until(what: string, ready: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ready().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`test Redis Cluster: ${what} did not happen within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function redisServerBinary(): string {
  const find = () => ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].find((p) => fs.existsSync(p));
  let binary = find();
  if (!binary && process.getuid?.() === 0) {
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
    execFileSync('apt-get', ['install', '-y', '-qq', 'redis-server'], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    binary = find();
  }
  if (!binary) throw new Error('No redis-server for the Redis Cluster tests: run `sudo apt-get install -y redis-server` (the tests start their own cluster nodes).');
  return binary;
}

/** A fresh connection each time: one that failed before the server was up never comes back. */
async function ask<T>(port: number, command: (r: Redis) => Promise<T>): Promise<T> {
  const r = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  r.on('error', () => {});
  try {
    await r.connect();
    return await command(r);
  } finally {
    r.disconnect();
  }
}

/**
 * Three masters, no replicas, slots split evenly. `nodeTimeoutMs`: how long a silent master takes
 * to count as failed (the cluster then refuses commands until it is back: no replica to promote).
 */
export async function startRedisCluster({ nodeTimeoutMs = 2_000 }: { nodeTimeoutMs?: number } = {}): Promise<LocalRedisCluster> {
  const binary = redisServerBinary();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kycvs-redis-cluster-'));
  const nodes: ChildProcess[] = [];
  const cluster: LocalRedisCluster = {
    url: '',
    pause: (i) => nodes[i]!.kill('SIGSTOP'),
    resume: (i) => nodes[i]!.kill('SIGCONT'),
    stop() {
      for (const node of nodes) node.kill('SIGKILL');
      fs.rmSync(dir, { recursive: true, force: true });
      running.delete(cluster);
    },
  };
  running.add(cluster);
  try {
    const ports: number[] = [];
    for (let i = 0; i < MASTERS; i++) {
      const port = await freePort();
      ports.push(port);
      const args = ['--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`,
        '--cluster-node-timeout', String(nodeTimeoutMs), '--save', '', '--appendonly', 'no', '--dir', dir];
      nodes.push(spawn(binary, args, { stdio: 'ignore' }));
    }
    for (const port of ports) await until(`redis-server on ${port} answering`, async () => (await ask(port, (r) => r.ping())) === 'PONG');
    const cli = binary.replace(/redis-server$/, 'redis-cli');
    await run(cli, ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes']);
    for (const port of ports) await until(`the cluster state ok on ${port}`, async () => /cluster_state:ok/.test(await ask(port, (r) => r.cluster('INFO'))));
    cluster.url = ports.map((p) => `redis://127.0.0.1:${p}`).join(',');
    return cluster;
  } catch (err) {
    cluster.stop();
    throw err;
  }
}

/** Waits for a cluster client's first answer (it learns the slot map first). */
export async function untilReady(redis: Cluster): Promise<void> {
  await until('the cluster client ready', async () => (await redis.ping()) === 'PONG');
}
