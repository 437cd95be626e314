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

/**
 * A port free on 127.0.0.1 whose cluster bus port (+10000) is free too, both below Linux's ephemeral
 * range (from 32768: an outgoing connection could take one between this check and the bind), and
 * neither among the ports this cluster took already.
 */
async function freePort(taken: Set<number>): Promise<number> {
  const listen = (port: number) =>
    new Promise<boolean>((resolve) => {
      const server = net.createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
  for (;;) {
    const port = 10_000 + crypto.randomInt(12_000);
    if (taken.has(port) || taken.has(port + 10_000)) continue;
    if ((await listen(port)) && (await listen(port + 10_000))) {
      taken.add(port).add(port + 10_000);
      return port;
    }
  }
}

/** Polls `ready` for up to 20 s; a node that exited meanwhile fails it at once. */
async function until(what: string, ready: () => Promise<boolean>, nodes?: Nodes, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ready().catch(() => false))) {
    nodes?.check();
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
 * A node under a shell that kills it when this process is gone, however it ends (a test runner's
 * timeout ends a file with a signal, which skips 'exit' handlers), checking once a second.
 */
const WATCHDOG = '"$@" & node=$!; while kill -0 "$PARENT" 2>/dev/null && kill -0 $node 2>/dev/null; do sleep 1; done; kill -9 $node 2>/dev/null';

/** The redis-server processes of one cluster: started, watched, their output kept for errors. */
class Nodes {
  readonly shells: ChildProcess[] = [];
  readonly pids: number[] = [];
  readonly output: string[] = [];

  start(binary: string, args: string[]): void {
    const shell = spawn('/bin/sh', ['-c', WATCHDOG, 'sh', binary, ...args], { env: { ...process.env, PARENT: String(process.pid) }, stdio: ['ignore', 'pipe', 'pipe'] });
    for (const stream of [shell.stdout!, shell.stderr!]) stream.on('data', (chunk: Buffer) => this.output.push(...chunk.toString().trim().split('\n').slice(-5)));
    this.shells.push(shell);
  }

  /** Throws when a node has exited (a port taken after all, a bad option): no use waiting for it. */
  check(): void {
    if (this.shells.some((s) => s.exitCode !== null || s.signalCode !== null)) {
      throw new Error(`test Redis Cluster: a redis-server exited: ${this.output.slice(-5).join(' | ')}`);
    }
  }

  kill(): void {
    for (const pid of this.pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
    for (const shell of this.shells) shell.kill('SIGKILL');
  }
}

export interface RedisClusterOptions {
  /** How long a silent master takes to count as failed (2 s). */
  nodeTimeoutMs?: number;
  /**
   * Redis's default (true): once a master counts as failed and no replica replaces it, the whole
   * cluster refuses commands. False (`cluster-require-full-coverage no`): the other masters go on
   * serving their slots.
   */
  fullCoverage?: boolean;
}

/**
 * Three masters, no replicas, slots split evenly. A start that fails (a port taken between the
 * check and the bind) is tried again on other ports.
 */
export async function startRedisCluster(options: RedisClusterOptions = {}): Promise<LocalRedisCluster> {
  const binary = redisServerBinary();
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(binary, options);
    } catch (err) {
      if (attempt === 3) throw err;
    }
  }
}

async function startOnce(binary: string, { nodeTimeoutMs = 2_000, fullCoverage = true }: RedisClusterOptions): Promise<LocalRedisCluster> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kycvs-redis-cluster-'));
  const nodes = new Nodes();
  const signal = (i: number, name: NodeJS.Signals) => process.kill(nodes.pids[i]!, name);
  const cluster: LocalRedisCluster = {
    url: '',
    pause: (i) => signal(i, 'SIGSTOP'),
    resume: (i) => signal(i, 'SIGCONT'),
    stop() {
      nodes.kill();
      fs.rmSync(dir, { recursive: true, force: true });
      running.delete(cluster);
    },
  };
  running.add(cluster);
  try {
    const taken = new Set<number>();
    const ports: number[] = [];
    for (let i = 0; i < MASTERS; i++) {
      const port = await freePort(taken);
      ports.push(port);
      nodes.start(binary, ['--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`,
        '--cluster-node-timeout', String(nodeTimeoutMs), '--cluster-require-full-coverage', fullCoverage ? 'yes' : 'no', '--save', '', '--appendonly', 'no', '--dir', dir]);
    }
    const answering = async (port: number) => (nodes.check(), (await ask(port, (r) => r.ping())) === 'PONG');
    for (const port of ports) await until(`redis-server on ${port} answering`, () => answering(port), nodes);
    // The servers' own pids (the shells are their watchdogs): pause and resume signal these.
    for (const port of ports) nodes.pids.push(Number(/process_id:(\d+)/.exec(await ask(port, (r) => r.info('server')))![1]));
    const cli = binary.replace(/redis-server$/, 'redis-cli');
    await run(cli, ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes']);
    for (const port of ports) await until(`the cluster state ok on ${port}`, async () => /cluster_state:ok/.test(await ask(port, (r) => r.cluster('INFO'))), nodes);
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
