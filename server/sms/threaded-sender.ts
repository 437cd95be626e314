import type { Worker } from 'node:worker_threads';
import { HELPER_THREAD_LIMITS, startTsWorker } from '../threads/ts-worker.ts';
import type { HttpGatewayOptions } from './http-gateway.ts';
import { type SmsMessage, type SmsSender, SmsDeliveryError } from './sms.ts';

export interface SendRequest {
  id: number;
  message: SmsMessage;
}

export type SendReply = { id: number; ok: true } | { id: number; ok: false; error: string; retryable: boolean };

interface Pending {
  resolve(): void;
  reject(err: SmsDeliveryError): void;
}

/**
 * The production gateway sender on a thread of its own. The event loop that answers the API only
 * posts a text and hears back: the HTTP work of a text (~0.1-0.2 ms of CPU), done only for
 * registered mobiles, is not there to be timed through other answers (enumeration), and it runs
 * on another core. The thread is kept alive only while texts are owed.
 *
 * Texts asked for during one turn of the event loop go to the thread in one message, and its
 * answers come back the same way (gateway-thread.ts): a message costs the same for one text as
 * for ten, and each wakes the other side.
 */
export class ThreadedSmsSender implements SmsSender {
  readonly #options: HttpGatewayOptions;
  readonly #pending = new Map<number, Pending>();
  /** Texts not yet posted to the thread: posted together at the end of this turn. */
  #outgoing: SendRequest[] = [];
  #worker: Worker | null = null;
  #nextId = 0;

  constructor(options: HttpGatewayOptions) {
    this.#options = options;
    this.#start(); // now, so the first text does not wait for the thread to load
  }

  send(message: SmsMessage): Promise<void> {
    const worker = this.#worker ?? this.#start();
    const id = ++this.#nextId;
    return new Promise<void>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      if (this.#pending.size === 1) worker.ref();
      if (this.#outgoing.push({ id, message }) === 1) setImmediate(() => this.#post());
    });
  }

  #post(): void {
    const batch = this.#outgoing;
    this.#outgoing = [];
    if (batch.length > 0) this.#worker?.postMessage(batch);
  }

  close(): void {
    void this.#worker?.terminate();
    this.#worker = null;
  }

  #start(): Worker {
    const worker = startTsWorker(new URL('./gateway-thread.ts', import.meta.url), this.#options, HELPER_THREAD_LIMITS);
    worker.unref();
    worker.on('message', (replies: SendReply[]) => {
      for (const reply of replies) {
        const pending = this.#settle(reply.id);
        if (!pending) continue;
        if (reply.ok) pending.resolve();
        else pending.reject(new SmsDeliveryError(reply.error, reply.retryable));
      }
    });
    // A thread that dies fails what it held, and what was about to go to it (retryable: the
    // dispatcher tries again, on a new thread).
    const fail = (reason: string) => {
      if (this.#worker === worker) this.#worker = null;
      this.#outgoing = [];
      for (const id of [...this.#pending.keys()]) this.#settle(id)!.reject(new SmsDeliveryError(reason, true));
    };
    worker.on('error', (err) => fail(`SMS thread failed: ${err.message}`));
    worker.on('exit', (code) => fail(`SMS thread exited (${code})`));
    this.#worker = worker;
    return worker;
  }

  #settle(id: number): Pending | undefined {
    const pending = this.#pending.get(id);
    this.#pending.delete(id);
    if (pending && this.#pending.size === 0) this.#worker?.unref();
    return pending;
  }
}
