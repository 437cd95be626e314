import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import type { Config } from './config.ts';

/** What a worker tells the primary once it listens. */
export interface WorkerReady {
  kind: 'kycvs:ready';
  url: string;
}

const isReady = (m: unknown): m is WorkerReady =>
  typeof m === 'object' && m !== null && (m as { kind?: unknown }).kind === 'kycvs:ready' && typeof (m as { url?: unknown }).url === 'string';

/** A worker that dies sooner than this after it was forked counts as a crash loop. */
const CRASH_LOOP_MS = 10_000;
/** Give up re-forking after this many crash-loop deaths in a row: a config or store error, not bad luck. */
const MAX_QUICK_DEATHS = 5;

/**
 * KYCVS_WORKERS > 1: this process forks that many service processes sharing one port (node:cluster
 * hands connections to them in turn) and serves nothing itself. They share nothing in memory: every
 * limit, session, key and secret is in the stores (PostgreSQL + Redis, or the one SQLite file in WAL
 * mode), which is what the cross-process tests check.
 *
 * The first worker starts alone, so migrations, the first signing key, secrets and demo seeding are
 * made once before the others open the store; then the rest start together. A worker that dies is
 * replaced (at once, unless workers keep dying within seconds of starting: then the primary exits
 * non-zero). SIGTERM/SIGINT: every worker drains its requests and exits, then the primary.
 */
export async function runPrimary(config: Config, log: Logger, onReady: (url: string) => void): Promise<void> {
  let stopping = false;
  let quickDeaths = 0;
  const forkedAt = new Map<Worker, number>();

  const fork = (): Promise<string> => {
    const worker = cluster.fork();
    forkedAt.set(worker, Date.now());
    return new Promise((resolve, reject) => {
      worker.on('message', (m: unknown) => {
        if (isReady(m)) resolve(m.url);
      });
      worker.once('exit', (code, signal) => reject(new Error(`worker ${worker.process.pid} exited before it listened (code ${code}, signal ${signal})`)));
    });
  };

  cluster.on('exit', (worker, code, signal) => {
    const lived = Date.now() - (forkedAt.get(worker) ?? 0);
    forkedAt.delete(worker);
    if (stopping) return;
    log.error({ pid: worker.process.pid, code, signal, livedMs: lived }, 'worker exited; starting another');
    quickDeaths = lived < CRASH_LOOP_MS ? quickDeaths + 1 : 0;
    if (quickDeaths >= MAX_QUICK_DEATHS) {
      log.fatal({ deaths: quickDeaths }, 'workers keep dying right after start: giving up');
      process.exit(1);
    }
    fork().catch((err: unknown) => log.error({ err }, 'replacement worker failed to start'));
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      stopping = true;
      log.info({ signal, workers: forkedAt.size }, 'shutting down: workers drain their requests');
      for (const worker of forkedAt.keys()) worker.process.kill('SIGTERM');
      const wait = () => (forkedAt.size === 0 ? process.exit(0) : setTimeout(wait, 50));
      wait();
    });
  }

  const url = await fork();
  await Promise.all(Array.from({ length: config.workers - 1 }, fork));
  onReady(url);
}

/** In a worker: tells the primary this process listens at `url`. */
export function reportReady(url: string): void {
  const ready: WorkerReady = { kind: 'kycvs:ready', url };
  process.send?.(ready);
}

export const isClusterPrimary = (config: Config): boolean => config.workers > 1 && cluster.isPrimary;
export const isClusterWorker = (): boolean => cluster.isWorker;
