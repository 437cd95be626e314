import type { SmsMessage, SmsSender } from './sms.ts';

export interface OutboxEntry {
  to: string;
  text: string;
  sent_at: string;
}

/**
 * Demo and development only: keeps the last messages in memory so the demo page can show the
 * OTP. It holds plaintext numbers and codes, which is why it never runs outside demo mode.
 */
export class OutboxSmsSender implements SmsSender {
  readonly #entries: OutboxEntry[] = [];
  readonly #capacity: number;

  constructor(capacity = 500) {
    this.#capacity = capacity;
  }

  async send(message: SmsMessage): Promise<void> {
    this.#entries.push({ to: message.to, text: message.text, sent_at: new Date().toISOString() });
    if (this.#entries.length > this.#capacity) this.#entries.shift();
  }

  /** Newest first. */
  list(mobile?: string): OutboxEntry[] {
    return this.#entries.filter((e) => mobile === undefined || e.to === mobile).reverse();
  }
}
