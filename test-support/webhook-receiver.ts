// A webhook receiver on 127.0.0.1 for tests: records every request (headers, raw body, time) and
// every TCP connection, and answers as the test scripts it (status, delay). It verifies nothing:
// the tests verify signatures with their own implementation of the specification.
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** Epoch ms when the body had arrived. */
  at: number;
}

export interface Reply {
  status: number;
  /** Answer this long after the body arrived. */
  delayMs?: number;
  headers?: Record<string, string>;
}

export class WebhookReceiver {
  readonly requests: ReceivedRequest[] = [];
  /** TCP connections accepted, whatever came over them. */
  connections = 0;
  /** How to answer the n-th request (0-based); default 204. */
  reply: (request: ReceivedRequest, n: number) => Reply = () => ({ status: 204 });
  readonly #server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const received: ReceivedRequest = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks), at: Date.now() };
      const n = this.requests.length;
      this.requests.push(received);
      const { status, delayMs = 0, headers = {} } = this.reply(received, n);
      const answer = () => {
        if (!res.destroyed) res.writeHead(status, headers).end();
      };
      if (delayMs > 0) setTimeout(answer, delayMs).unref();
      else answer();
    });
  });
  port = 0;

  constructor() {
    this.#server.on('connection', () => this.connections++);
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.port = (this.#server.address() as AddressInfo).port;
    return this;
  }

  url(path = '/hook'): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  /** Requests for one event (by `webhook-id`). */
  byId(id: string): ReceivedRequest[] {
    return this.requests.filter((r) => r.headers['webhook-id'] === id);
  }

  /** Bodies parsed, one per distinct `webhook-id` (first receipt). */
  events(): { id: string; payload: any; at: number }[] {
    const seen = new Map<string, { id: string; payload: any; at: number }>();
    for (const r of this.requests) {
      const id = String(r.headers['webhook-id']);
      if (!seen.has(id)) seen.set(id, { id, payload: JSON.parse(r.body.toString('utf8')), at: r.at });
    }
    return [...seen.values()];
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }
}

/**
 * The receiver's side of Standard Webhooks, written from the specification alone (nothing of the
 * service's code): the key is the base64 after `whsec_`; the signed content `id.timestamp.body`;
 * each `v1,<base64>` entry of the space-separated header is compared in constant time.
 */
export function specVerify(secret: string, request: Pick<ReceivedRequest, 'headers' | 'body'>, nowMs = Date.now()): boolean {
  const id = request.headers['webhook-id'];
  const timestamp = request.headers['webhook-timestamp'];
  const signature = request.headers['webhook-signature'];
  if (typeof id !== 'string' || typeof timestamp !== 'string' || typeof signature !== 'string') return false;
  if (Math.abs(Number(timestamp) - nowMs / 1000) > 300) return false;
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = crypto.createHmac('sha256', key).update(Buffer.concat([Buffer.from(`${id}.${timestamp}.`), request.body])).digest();
  return signature.split(' ').some((part) => {
    const [version, value] = part.split(',');
    const given = Buffer.from(value ?? '', 'base64');
    return version === 'v1' && given.length === expected.length && crypto.timingSafeEqual(given, expected);
  });
}
