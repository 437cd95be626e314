// A fake SMS gateway on 127.0.0.1 for tests that run the service outside the demo outbox
// (KYCVS_SMS_GATEWAY_URL): it records every text the service hands it, so a test can count the
// SMS actually sent and read the OTP a text carries.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { OTP_IN_TEXT, waitFor } from './harness.ts';

export interface GatewayMessage {
  /** As the service sends it: "+91" and 10 digits. */
  to: string;
  text: string;
  /** Epoch ms when the gateway received it. */
  at: number;
}

/** One request as the gateway saw it: for tests of the adapter's HTTP (method, auth, media type). */
export interface GatewayRequest {
  method: string;
  authorization: string | undefined;
  contentType: string | undefined;
  body: unknown;
}

export class FakeSmsGateway {
  /** Every text received, oldest first (also those answered with a scripted error). */
  readonly messages: GatewayMessage[] = [];
  /** Every request, raw. */
  readonly requests: GatewayRequest[] = [];
  /** Statuses to answer with, one per request, then 200. */
  script: number[] = [];
  /** When set, requests wait for it before being answered. */
  hold: Promise<void> | null = null;
  readonly #server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      let body: { to?: unknown; text?: unknown } = {};
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        res.writeHead(400).end();
        return;
      }
      this.requests.push({ method: req.method ?? '', authorization: req.headers.authorization, contentType: req.headers['content-type'], body });
      this.messages.push({ to: String(body.to), text: String(body.text), at: Date.now() });
      if (this.hold) await this.hold;
      res.writeHead(this.script.shift() ?? 200, { 'content-type': 'application/json' }).end('{"id":"msg"}');
    });
  });
  #url = '';

  /** Starts listening on an ephemeral port; returns the URL to give as KYCVS_SMS_GATEWAY_URL. */
  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.#url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/v1/messages`;
    return this.#url;
  }

  get url(): string {
    return this.#url;
  }

  /** Texts to a 10-digit mobile (as the citizen typed it, without +91). */
  to(mobile: string): GatewayMessage[] {
    return this.messages.filter((m) => m.to === `+91${mobile}`);
  }

  /** Texts whose body contains `fragment` (e.g. a purpose that tags one flow). */
  containing(fragment: string): GatewayMessage[] {
    return this.messages.filter((m) => m.text.includes(fragment));
  }

  /** Waits for the `nth` (1-based) text matching `match` and returns the OTP it carries. */
  async otp(match: (m: GatewayMessage) => boolean, { nth = 1, timeoutMs = 10_000 } = {}): Promise<string> {
    const message = await waitFor(() => this.messages.filter(match)[nth - 1], { timeoutMs, what: `SMS #${nth} at the fake gateway` });
    const code = OTP_IN_TEXT.exec(message.text)?.[1];
    if (!code) throw new Error(`no OTP in ${message.text}`);
    return code;
  }

  /** Forgets what was received and scripted (between tests). */
  reset(): void {
    this.messages.length = 0;
    this.requests.length = 0;
    this.script = [];
    this.hold = null;
  }

  /** Every OTP the gateway has seen. */
  otps(): string[] {
    return this.messages.flatMap((m) => OTP_IN_TEXT.exec(m.text)?.[1] ?? []);
  }

  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}

/** The same fake gateway as a process of its own, for tests whose timing the gateway's work must not disturb. */
const GATEWAY_PROCESS_SOURCE = `
const http = require('node:http');
const messages = [];
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    if (req.method === 'GET' && req.url === '/messages') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(messages));
      return;
    }
    try {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      messages.push({ to: String(body.to), text: String(body.text), at: Date.now() });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"id":"msg"}');
    } catch {
      res.writeHead(400).end();
    }
  });
});
server.listen(0, '127.0.0.1', () => console.log('gateway ' + server.address().port));
process.on('disconnect', () => process.exit(0));
`;

export class FakeSmsGatewayProcess {
  #child: import('node:child_process').ChildProcess | null = null;
  #base = '';

  /** Starts the gateway process; returns the URL to give as KYCVS_SMS_GATEWAY_URL. */
  async start(): Promise<string> {
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, ['-e', GATEWAY_PROCESS_SOURCE], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'], env: { PATH: process.env.PATH ?? '' } });
    this.#child = child;
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (c: string) => (out += c));
    const port = await waitFor(() => /gateway (\d+)/.exec(out)?.[1], { what: 'the gateway process to listen' });
    this.#base = `http://127.0.0.1:${port}`;
    return `${this.#base}/v1/messages`;
  }

  async messages(): Promise<GatewayMessage[]> {
    const res = await fetch(`${this.#base}/messages`);
    return (await res.json()) as GatewayMessage[];
  }

  /** Waits for the `nth` (1-based) text matching `match` and returns the OTP it carries. */
  async otp(match: (m: GatewayMessage) => boolean, { nth = 1, timeoutMs = 10_000 } = {}): Promise<string> {
    const message = await waitFor(async () => (await this.messages()).filter(match)[nth - 1], { timeoutMs, what: `SMS #${nth} at the fake gateway` });
    const code = OTP_IN_TEXT.exec(message.text)?.[1];
    if (!code) throw new Error(`no OTP in ${message.text}`);
    return code;
  }

  async close(): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null) return;
    const gone = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await gone;
  }
}
