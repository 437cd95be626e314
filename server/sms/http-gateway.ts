import { Pool } from 'undici';
import { type SmsMessage, type SmsSender, SmsDeliveryError } from './sms.ts';

export interface HttpGatewayOptions {
  url: string;
  token: string;
  timeoutMs?: number;
  /** Connections kept open to the gateway (default 64). */
  maxSockets?: number;
}

/**
 * Production sender: POSTs `{ to: "+91…", text }` as JSON with a bearer token to the operator's
 * SMS gateway. 5xx, 429 and network failures are retryable; other 4xx are not.
 * Uses undici's connection pool rather than fetch or node:http: one text per OTP at national
 * volume. Per text on the same machine: fetch's cost was a sixth of the service's CPU in the flow
 * benchmark; node:http with a keep-alive agent 143 µs of CPU, undici's request 79 µs.
 */
export class HttpGatewaySmsSender implements SmsSender {
  readonly #path: string;
  readonly #token: string;
  readonly #timeoutMs: number;
  readonly #pool: Pool;

  constructor(options: HttpGatewayOptions) {
    const url = new URL(options.url);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new Error(`SMS gateway URL must be http(s): ${url.protocol}`);
    }
    this.#path = `${url.pathname}${url.search}`;
    this.#token = options.token;
    this.#timeoutMs = options.timeoutMs ?? 5000;
    this.#pool = new Pool(url.origin, { connections: options.maxSockets ?? 64, connectTimeout: this.#timeoutMs });
  }

  async send(message: SmsMessage): Promise<void> {
    const body = JSON.stringify({ to: `+91${message.to}`, text: message.text });
    let status: number;
    try {
      const answer = await this.#pool.request({
        path: this.#path,
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${this.#token}` },
        body,
        headersTimeout: this.#timeoutMs,
        bodyTimeout: this.#timeoutMs,
      });
      status = answer.statusCode;
      // The answer's body is not needed, but is read to its end: for the connection to be reused,
      // and because one cut off means the gateway may not have taken the text (dump() would not say).
      await answer.body.arrayBuffer().catch(() => {
        throw new SmsDeliveryError('SMS gateway answer cut off', true);
      });
    } catch (err) {
      if (err instanceof SmsDeliveryError) throw err;
      throw new SmsDeliveryError(`SMS gateway unreachable: ${(err as Error).message}`, true);
    }
    if (status < 200 || status >= 300) throw new SmsDeliveryError(`SMS gateway answered ${status}`, status >= 500 || status === 429);
  }

  /** Closes the kept-alive connections (shutdown). */
  close(): void {
    void this.#pool.destroy();
  }
}
