// Child process: the KYC-VS server under test, started exactly as production starts it
// (`startServer(loadConfig(env))`), configured only through its environment.
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
}

const server = await startServer(loadConfig(process.env));
process.send!({ type: 'ready', url: server.url } satisfies ServerReady);

process.on('message', (message: { type?: string; gc?: boolean }) => {
  if (message?.type === 'memory') {
    const gc = (globalThis as { gc?: () => void }).gc;
    if (message.gc && gc) gc();
    const m = process.memoryUsage();
    process.send!({ type: 'memory', rss: m.rss, heapTotal: m.heapTotal, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers } satisfies MemoryReport);
  } else if (message?.type === 'stop') {
    void server.close().finally(() => process.exit(0));
  }
});
process.on('SIGTERM', () => void server.close().finally(() => process.exit(0)));
