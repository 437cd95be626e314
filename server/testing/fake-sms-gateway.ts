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

export class FakeSmsGateway {
  /** Every text received, oldest first (also those answered with a scripted error). */
  readonly messages: GatewayMessage[] = [];
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

  /** Every OTP the gateway has seen. */
  otps(): string[] {
    return this.messages.flatMap((m) => OTP_IN_TEXT.exec(m.text)?.[1] ?? []);
  }

  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}
