import type { Logger } from 'pino';
import { type SmsMessage, type SmsSender, SmsDeliveryError } from './sms.ts';

/** A text goes out this long (plus up to the jitter) after its request was answered. */
const DISPATCH_DELAY_MS = 5;
const DISPATCH_JITTER_MS = 20;

export interface SmsEvents {
  smsDelivery(delivered: boolean): void;
}

/**
 * Sends texts off the request path: the API answers before the gateway does, so an answer's
 * timing cannot tell whether an SMS went out (i.e. whether the mobile is registered).
 */
export class SmsDispatcher {
  readonly #sender: SmsSender;
  readonly #log: Logger;
  readonly #inFlight = new Set<Promise<void>>();
  readonly #retryDelaysMs: readonly number[];
  readonly #events: SmsEvents;

  constructor(sender: SmsSender, log: Logger, events: SmsEvents, retryDelaysMs: readonly number[] = [200, 1000, 3000]) {
    this.#sender = sender;
    this.#log = log;
    this.#events = events;
    this.#retryDelaysMs = retryDelaysMs;
  }

  dispatch(message: SmsMessage, context: { sessionId: string }): void {
    // Not even the sender's first steps run inside the request, nor right after its answer:
    // work done as the answer leaves (here, and at a gateway on the same host) delays that very
    // answer, so registered mobiles answered measurably slower (~0.1 ms, security/enumeration).
    // After a random 5-25 ms the work lands on whatever requests are in flight then.
    const job: Promise<void> = new Promise<void>((resolve) => setTimeout(resolve, DISPATCH_DELAY_MS + Math.random() * DISPATCH_JITTER_MS))
      .then(() => this.#deliver(message, context.sessionId))
      .finally(() => this.#inFlight.delete(job));
    this.#inFlight.add(job);
  }

  /** Resolves when every text handed over so far was delivered or given up on (graceful shutdown, tests). */
  async drain(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  async #deliver(message: SmsMessage, sessionId: string): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.#sender.send(message);
        this.#log.info({ session: sessionId, attempt }, 'otp sms delivered');
        this.#events.smsDelivery(true);
        return;
      } catch (err) {
        const retryable = err instanceof SmsDeliveryError ? err.retryable : false;
        const delay = this.#retryDelaysMs[attempt];
        // The number and the text stay out of the log; the session id is enough to trace it.
        this.#log.warn({ session: sessionId, attempt, err: (err as Error).message, retryable }, 'otp sms not delivered');
        if (!retryable || delay === undefined) {
          this.#events.smsDelivery(false);
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }
}
