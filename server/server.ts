import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from './config.ts';
import { createApp } from './http/app.ts';
import { createLogger } from './logger.ts';
import { type Services, createServices } from './services.ts';

/** How long in-flight requests get to finish on shutdown. */
export const SHUTDOWN_GRACE_MS = 3000;

export interface RunningServer {
  url: string;
  services: Services;
  /** Stops accepting connections, lets in-flight requests finish, then closes the store. */
  close(): Promise<void>;
}

export async function startServer(config: Config, services?: Services): Promise<RunningServer> {
  const svc = services ?? (await createServices(config, createLogger(config.logLevel)));
  const app = createApp(svc);
  // Answers not yet written when shutdown starts: they will say Connection: close, so a
  // keep-alive client (a load balancer, a browser) moves to another process instead of
  // keeping this one alive with new requests.
  const unanswered = new Set<http.ServerResponse>();
  svc.metrics.trackInFlight(() => unanswered.size);
  let draining = false;
  const server = http.createServer({ requestTimeout: 30_000, headersTimeout: 15_000 }, (req, res) => {
    if (draining) res.setHeader('Connection', 'close');
    unanswered.add(res);
    res.once('close', () => unanswered.delete(res));
    app(req, res);
  });
  server.keepAliveTimeout = 5_000;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => resolve());
    });
  } catch (err) {
    // Services made here are closed here (their checkpoint thread would keep the process alive).
    if (!services) await svc.close();
    throw err;
  }
  const { port } = server.address() as AddressInfo;
  const pruneTimer = setInterval(() => {
    const dayAgo = Date.now() - 86_400_000;
    void svc.sessions.prune(dayAgo).catch((err: unknown) => svc.log.warn({ err }, 'session prune failed'));
    void svc.counters.prune().catch((err: unknown) => svc.log.warn({ err }, 'counter prune failed'));
  }, 60_000);
  pruneTimer.unref();

  let closing: Promise<void> | null = null;
  return {
    url: `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`,
    services: svc,
    close() {
      closing ??= (async () => {
        clearInterval(pruneTimer);
        draining = true;
        for (const res of unanswered) if (!res.headersSent) res.setHeader('Connection', 'close');
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
          // Keep-alive connections that go idle after their last answer would hold close() open
          // until their timeout: after a grace period for in-flight requests, end them all.
          setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS).unref();
        });
        await svc.close();
      })();
      return closing;
    },
  };
}
