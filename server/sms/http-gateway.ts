import { type SmsMessage, type SmsSender, SmsDeliveryError } from './sms.ts';

export interface HttpGatewayOptions {
  url: string;
  token: string;
  timeoutMs?: number;
}

/**
 * Production sender: POSTs `{ to: "+91…", text }` as JSON with a bearer token to the operator's
 * SMS gateway. 5xx, 429 and network failures are retryable; other 4xx are not.
 */
export class HttpGatewaySmsSender implements SmsSender {
  readonly #options: Required<HttpGatewayOptions>;

  constructor(options: HttpGatewayOptions) {
    this.#options = { timeoutMs: 5000, ...options };
  }

  async send(message: SmsMessage): Promise<void> {
    let response: Response;
    try {
      response = await fetch(this.#options.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${this.#options.token}` },
        body: JSON.stringify({ to: `+91${message.to}`, text: message.text }),
        signal: AbortSignal.timeout(this.#options.timeoutMs),
      });
    } catch (err) {
      throw new SmsDeliveryError(`SMS gateway unreachable: ${(err as Error).name}`, true);
    }
    await response.body?.cancel();
    if (!response.ok) {
      throw new SmsDeliveryError(`SMS gateway answered ${response.status}`, response.status >= 500 || response.status === 429);
    }
  }
}
