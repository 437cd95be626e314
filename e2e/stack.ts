// One KYC-VS service and one demo host, on two origins as in production: the host site on
// http://127.0.0.1:<A>, the service on http://localhost:<B>. Real servers, real SQLite (or PostgreSQL +
// Redis, for the `distributed` project), real keys.
import { createDemoHostApp, listen, type RunningDemoHost } from '../demo-host/server.ts';
import type { OutboxEntry } from '../server/sms/outbox.ts';
import { startTestServer, type TestServer, type TestStore } from '../test-support/harness.ts';

export interface Stack {
  /** The service as browsers reach it (a different site from the host). */
  serviceUrl: string;
  hostUrl: string;
  service: TestServer;
  /** The texts the demo outbox holds for `mobile`, newest first (wherever the outbox is kept). */
  texts(mobile: string): Promise<OutboxEntry[]>;
  /** The newest SMS text sent to `mobile` once more than `seen` have been sent; its 6-digit code. */
  otp(mobile: string, seen?: number): Promise<string>;
  /** Another copy of the demo host on an origin no demo client allows. */
  startForeignHost(): Promise<RunningDemoHost>;
  close(): Promise<void>;
}

const POLL_MS = 25;
const OTP_WAIT_MS = 10_000;

/** `env`: service environment (limits such as KYCVS_OTP_TTL); `sessionTtlSeconds` has no variable. */
export async function startStack(env: Record<string, string> = {}, sessionTtlSeconds?: number, store?: TestStore): Promise<Stack> {
  // The host listens first so the service's demo clients can allow its origin.
  const host = await listen(0);
  const hostPort = Number(new URL(host.url).port);
  const service = await startTestServer({
    store,
    env: { LOG_LEVEL: 'warn', ...env },
    configure(config) {
      config.demoPort = hostPort;
      config.issuer = `http://localhost:${config.port}`;
      if (sessionTtlSeconds) config.sessionTtlSeconds = sessionTtlSeconds;
    },
  });
  const serviceUrl = `http://localhost:${service.config.port}`;
  const options = { service: { url: serviceUrl, issuer: service.config.issuer }, apiKeys: service.config.demoApiKeys };
  host.server.on('request', createDemoHostApp(options));
  const extras: RunningDemoHost[] = [];
  const texts = (mobile: string) => service.services.demoTexts!.list(mobile);

  return {
    serviceUrl,
    hostUrl: host.url,
    service,
    texts,
    async otp(mobile, seen = 0) {
      const deadline = Date.now() + OTP_WAIT_MS;
      // The SMS is dispatched after the API answered, so wait for it to land.
      let sent = await texts(mobile);
      while (sent.length <= seen) {
        if (Date.now() > deadline) throw new Error(`no SMS #${seen + 1} to ${mobile}`);
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
        sent = await texts(mobile);
      }
      const code = /\b(\d{6})\b/.exec(sent[0]!.text)?.[1];
      if (!code) throw new Error('SMS without a 6-digit code');
      return code;
    },
    async startForeignHost() {
      const foreign = await listen(0, '127.0.0.1', createDemoHostApp(options));
      extras.push(foreign);
      return foreign;
    },
    async close() {
      await Promise.all([host.close(), ...extras.map((extra) => extra.close())]);
      await service.close();
    },
  };
}
