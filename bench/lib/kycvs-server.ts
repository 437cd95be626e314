// Child process: the KYC-VS server under test, started exactly as production starts it
// (`startServer(loadConfig(env))`), configured only through its environment.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import v8 from 'node:v8';
import { loadConfig } from '../../server/config.ts';
import { startServer } from '../../server/server.ts';

export interface ServerReady {
  type: 'ready';
  url: string;
}

export interface MemoryReport {
  type: 'memory';
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  /** Bytes V8 reserved for each space of this thread's heap (new_space: the young generation's semi-spaces). */
  spaces: Record<string, number>;
}

/** How long the event loop was blocked between checks: sync work (SQLite, fsync at checkpoints, crypto) shows here. */
export interface LoopDelayReport {
  type: 'loop-delay';
  p50: number;
  p99: number;
  max: number;
}

const RESOLUTION_MS = 10;
const loopDelay = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
loopDelay.enable();
const server = await startServer(loadConfig(process.env));
process.send!({ type: 'ready', url: server.url } satisfies ServerReady);

process.on('message', (message: { type?: string; gc?: boolean }) => {
  if (message?.type === 'memory') {
    const gc = (globalThis as { gc?: () => void }).gc;
    if (message.gc && gc) gc();
    const m = process.memoryUsage();
    const spaces = Object.fromEntries(v8.getHeapSpaceStatistics().map((s) => [s.space_name, s.space_size]));
    process.send!({
      type: 'memory',
      rss: m.rss,
      heapTotal: m.heapTotal,
      heapUsed: m.heapUsed,
      external: m.external,
      arrayBuffers: m.arrayBuffers,
      spaces,
    } satisfies MemoryReport);
  } else if (message?.type === 'loop-delay') {
    // The histogram holds the time between the timer's checks; what exceeds the period is the block.
    const ms = (ns: number) => Math.max(0, ns / 1e6 - RESOLUTION_MS);
    process.send!({
      type: 'loop-delay',
      p50: ms(loopDelay.percentile(50)),
      p99: ms(loopDelay.percentile(99)),
      max: ms(loopDelay.max),
    } satisfies LoopDelayReport);
    loopDelay.reset();
  } else if (message?.type === 'stop') {
    void server.close().finally(() => process.exit(0));
  }
});
process.on('SIGTERM', () => void server.close().finally(() => process.exit(0)));
