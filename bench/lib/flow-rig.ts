import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SERVER_BUNDLE, bundleOnce } from '../../scripts/build-server.ts';
import { REPO_ROOT, cpuSecondsOf, descendantPids, nextMessage, profileFlags, rssOf, spawnTs, stopChild, terminate, waitForLine } from './child.ts';
import { type FlowFixture, type StoreKind, prepareFlowFixture } from './fixture.ts';
import type { LoopDelayReport, MemoryReport, ServerReady } from './kycvs-server.ts';
import type { LoadMode, LoadResult, RunMessage, SetupMessage } from './loadgen.ts';

/** Quotas raised so one loopback IP may run every flow; every other setting is the production default. */
export const LOAD_QUOTA_ENV: Readonly<Record<string, string>> = {
  KYCVS_SMS_PER_IP_HOUR: '10000000',
  KYCVS_SESSIONS_PER_IP_MINUTE: '10000000',
  KYCVS_SMS_PER_MOBILE_HOUR: '10000000',
  KYCVS_SMS_PER_CLIENT_HOUR: '10000000',
  KYCVS_SMS_GLOBAL_MINUTE: '10000000',
};

/**
 * Extra Node flags for the server under test, for experiments without touching its code,
 * e.g. KYCVS_BENCH_SERVER_FLAGS="--max-old-space-size=96". Empty in a normal run.
 */
export const SERVER_NODE_FLAGS: readonly string[] = (process.env.KYCVS_BENCH_SERVER_FLAGS ?? '').split(/\s+/).filter(Boolean);

/** An origin no page is served from: widget-mode sessions only need it allowlisted. */
export const WIDGET_FLOW_ORIGIN = 'http://127.0.0.1:9';

export interface FlowRig {
  fixture: FlowFixture;
  serverUrl: string;
  /** The process started (with workers: the cluster's primary, which serves nothing itself). */
  serverPid: number;
  /** Every process of the service: the one server, or the primary and its workers. */
  serverPids(): number[];
  /** Runs `amount` requests of flows (or bare requests) at `connections` concurrent connections. */
  run(mode: Exclude<LoadMode, 'bare'>, amount: number, connections: number, rate?: number): Promise<LoadResult>;
  /**
   * The same load generator against a bare Express app in a process of its own, warmed up first like
   * the server; with the CPU seconds that process used for the measured requests.
   */
  runBare(amount: number, connections: number, warmupAmount: number): Promise<LoadResult & { serverCpuSeconds: number; mainThreadCpuSeconds: number }>;
  /** Not with `workers` (server/main.ts answers no such questions). */
  memory(gc: boolean): Promise<MemoryReport & { procRss: number }>;
  /** The server's event-loop delay since the last call (10 ms resolution timer). Not with `workers`. */
  loopDelay(): Promise<LoopDelayReport>;
  /** CPU seconds of every process of the service so far (workers summed), from /proc. */
  serverCpuSeconds(): number;
  /**
   * CPU seconds of the server's main thread alone (JavaScript and what it calls synchronously:
   * SQLite, signing); the rest is its other threads (SMS sender, WAL checkpointer, V8's helpers).
   */
  serverMainThreadCpuSeconds(): number;
  close(): Promise<void>;
}

export interface FlowRigOptions {
  registryRows: number;
  /** Extra allowlisted origins for the bench client (the widget render bench's host page). */
  origins?: string[];
  profileDir?: string | null;
  /** Names the profile folders: `<profileDir>/<label>-server/` and `<label>-bare-express/`. */
  label?: string;
  /** The server process may run gc() when asked for its memory. */
  exposeGc?: boolean;
  /** Where the service keeps its data (default: the SQLite file). */
  store?: StoreKind;
  /**
   * Start the service as production does, `server/main.ts` with KYCVS_WORKERS = this (1: main.ts
   * serves in its own process; more: node:cluster workers behind one port). Absent: the bench's
   * own kycvs-server.ts child, which also answers memory and event-loop questions.
   */
  workers?: number;
  /** More environment for the service (e.g. KYCVS_STEP_TIMING). */
  serverEnv?: Record<string, string>;
}

const LOADGEN = path.join(REPO_ROOT, 'bench/lib/loadgen.ts');
const KYCVS_SERVER = path.join(REPO_ROOT, 'bench/lib/kycvs-server.ts');
const BARE_EXPRESS = path.join(REPO_ROOT, 'bench/lib/bare-express.ts');
const SERVICE_MAIN = path.join(REPO_ROOT, 'server/main.ts');

/** The service runs as production runs it: plain JavaScript (`npm run build:server`) bundled from the current source. */
const bundled = (entry: string): Promise<string> =>
  bundleOnce(entry, entry === SERVICE_MAIN ? SERVER_BUNDLE : path.join(REPO_ROOT, 'dist/bench', `${path.basename(entry, '.ts')}.js`));

/** What server/main.ts prints once every worker listens. */
const MAIN_BANNER = /KYC-VS service: (http:\/\/\S+)/;

/**
 * Starts the rig: a data dir with a synthetic registry and a bench client, the load generator
 * with its fake SMS gateway, and the KYC-VS server pointed at that gateway. Three processes:
 * bench (idle while measuring), load generator, server.
 */
export async function startFlowRig(options: FlowRigOptions): Promise<FlowRig> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kycvs-bench-'));
  const children: ChildProcess[] = [];
  let fixture: FlowFixture | null = null;
  let service: ChildProcess | null = null;
  const stopAll = async () => {
    // The service first (SIGTERM: main.ts drains its workers), then the load generator, then the data.
    if (service) await (options.workers === undefined ? stopChild(service) : terminate(service));
    await Promise.all(children.map((c) => stopChild(c)));
    await fixture?.dispose();
    fs.rmSync(tmp, { recursive: true, force: true });
  };
  try {
    fixture = await prepareFlowFixture(
      path.join(tmp, 'data'),
      options.registryRows,
      [WIDGET_FLOW_ORIGIN, ...(options.origins ?? [])],
      options.store ?? 'sqlite',
    );

    const loadgen = spawnTs(LOADGEN);
    children.push(loadgen);
    const { gatewayUrl, gatewayToken } = await nextMessage<{ type: 'ready'; gatewayUrl: string; gatewayToken: string }>(
      loadgen,
      'ready',
      30_000,
    );
    loadgen.send({
      type: 'setup',
      people: fixture.people,
      clientId: fixture.clientId,
      apiKey: fixture.apiKey,
      origin: WIDGET_FLOW_ORIGIN,
    } satisfies SetupMessage);
    await nextMessage(loadgen, 'setup-done', 30_000);

    const serverLog = path.join(tmp, 'server.log');
    const server = spawnTs(await bundled(options.workers === undefined ? KYCVS_SERVER : SERVICE_MAIN), {
      env: {
        ...process.env,
        NODE_ENV: 'production',
        PORT: '0',
        HOST: '127.0.0.1',
        ...fixture.serverEnv,
        ...(options.workers === undefined ? {} : { KYCVS_WORKERS: String(options.workers) }),
        KYCVS_ISSUER: 'http://kycvs.bench.localhost',
        KYCVS_SMS_GATEWAY_URL: gatewayUrl,
        KYCVS_SMS_GATEWAY_TOKEN: gatewayToken,
        KYCVS_DEMO: '',
        LOG_LEVEL: 'info',
        ...LOAD_QUOTA_ENV,
        ...options.serverEnv,
      },
      execArgv: [...(options.exposeGc ? ['--expose-gc'] : []), ...SERVER_NODE_FLAGS, ...profileFlags(options.profileDir, `${options.label ?? 'bench'}-server`)],
      // Production logs go somewhere real: a file, as under a process supervisor.
      stdoutFile: serverLog,
    });
    service = server;
    const url =
      options.workers === undefined
        ? (await nextMessage<ServerReady>(server, 'ready', 60_000)).url
        : (await waitForLine(server, serverLog, MAIN_BANNER, 90_000))[1]!;
    const serverPids = () => [server.pid!, ...descendantPids(server.pid!)];
    const readyFixture = fixture;

    const runOn = async (target: string, mode: LoadMode, amount: number, connections: number, rate?: number) => {
      loadgen.send({ type: 'run', mode, target, amount, connections, ...(rate ? { rate } : {}) } satisfies RunMessage);
      const result = await nextMessage<LoadResult>(loadgen, 'result');
      // Let SMS texts still in flight land before the next run reuses their mobiles.
      await new Promise((resolve) => setTimeout(resolve, 300));
      return result;
    };

    return {
      fixture: readyFixture,
      serverUrl: url,
      serverPid: server.pid!,
      serverPids,
      run: (mode, amount, connections, rate) => runOn(url, mode, amount, connections, rate),
      async runBare(amount, connections, warmupAmount) {
        const bare = spawnTs(BARE_EXPRESS, {
          env: { ...process.env, NODE_ENV: 'production' },
          execArgv: profileFlags(options.profileDir, `${options.label ?? 'bench'}-bare-express`),
        });
        try {
          const ready = await nextMessage<{ type: 'ready'; url: string }>(bare, 'ready', 30_000);
          if (warmupAmount > 0) await runOn(ready.url, 'bare', warmupAmount, connections);
          const cpu0 = cpuSecondsOf(bare.pid!);
          const main0 = cpuSecondsOf(bare.pid!, bare.pid!);
          const result = await runOn(ready.url, 'bare', amount, connections);
          return { ...result, serverCpuSeconds: cpuSecondsOf(bare.pid!) - cpu0, mainThreadCpuSeconds: cpuSecondsOf(bare.pid!, bare.pid!) - main0 };
        } finally {
          await stopChild(bare);
        }
      },
      async memory(gc) {
        if (options.workers !== undefined) throw new Error('flow rig: memory() needs the kycvs-server.ts child (no `workers`)');
        server.send({ type: 'memory', gc });
        const report = await nextMessage<MemoryReport>(server, 'memory', 30_000);
        return { ...report, procRss: rssOf(server.pid!) };
      },
      async loopDelay() {
        if (options.workers !== undefined) throw new Error('flow rig: loopDelay() needs the kycvs-server.ts child (no `workers`)');
        server.send({ type: 'loop-delay' });
        return nextMessage<LoopDelayReport>(server, 'loop-delay', 30_000);
      },
      serverCpuSeconds: () => serverPids().reduce((sum, pid) => sum + cpuSecondsOf(pid), 0),
      serverMainThreadCpuSeconds: () => cpuSecondsOf(server.pid!, server.pid!),
      close: stopAll,
    };
  } catch (err) {
    await stopAll().catch(() => {});
    throw err;
  }
}
