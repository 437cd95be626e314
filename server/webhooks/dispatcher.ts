import type { Logger } from 'pino';
import type { ClientStore } from '../clients/clients.ts';
import { type DeliveryPolicy, systemResolver } from './address-policy.ts';
import { type DeliveryOutcome, deliverOnce } from './deliver.ts';
import type { AttemptEnd, ClaimedEvent, WebhookEventStore } from './event-store.ts';
import type { WebhookSettings } from './settings.ts';
import { webhookHeaders } from './signature.ts';

/**
 * How long a claim holds an event: twice the attempt's hard timeout and a second, so a slow attempt
 * (or a stalled event loop) is not taken over mid-way. A process that dies mid-attempt delays that
 * event by at most this (21 s by default); its other events were never claimed and go out at once.
 */
export const leaseMs = (settings: Pick<WebhookSettings, 'timeoutMs'>) => 2 * settings.timeoutMs + 1000;
const PRUNE_EVERY_MS = 3600_000;

/**
 * The wait before retry `attempt + 1` (`attempt` ≥ 1 made so far): exponential from `retryBaseMs`,
 * doubling, capped at `retryMaxDelayMs`, with "equal jitter" — drawn from [d/2, d] — so retries of
 * many events failing together spread out while each wait still grows.
 */
export function retryDelayMs(attempt: number, settings: Pick<WebhookSettings, 'retryBaseMs' | 'retryMaxDelayMs'>, random = Math.random): number {
  const d = Math.min(settings.retryMaxDelayMs, settings.retryBaseMs * 2 ** Math.min(attempt - 1, 40));
  return Math.round(d / 2 + random() * (d / 2));
}

/** Tells this process's dispatcher that an event was committed here (the outbox: WebhookOutbox, PostgresWebhookOutbox). */
export interface WakeSource {
  /** Calls `listener` after each commit that queued an event; returns the unsubscribe. */
  onWake(listener: () => void): () => void;
}

/**
 * Ends sessions that ran out of time without a decision, each with its `session.expired` event
 * (SQLite: ExpirySweeper; sessions in Redis: the sessions store's sweeper). Returns how many it ended.
 */
export interface ExpirySweep {
  sweep(now: number): Promise<number>;
}

/** What the dispatcher works on: none of it names a database. */
export interface WebhookDispatcherDeps {
  events: WebhookEventStore;
  /** The webhook URL and signing keys of an event's client, read at every attempt. */
  clients: Pick<ClientStore, 'webhookTarget'>;
  wakes: WakeSource;
  sweeper: ExpirySweep;
}

/**
 * Delivers the outbox off the request path, in this process: woken at once by a commit here, and
 * polling for what other processes queued or what falls due. Each attempt is signed afresh (its
 * own timestamp), logged (status or error, duration; never the secret, the body or the token) and
 * kept in `webhook_attempts`; failures retry with back-off until `give_up_at` (24 h), then `failed`.
 */
export class WebhookDispatcher {
  readonly #events: WebhookEventStore;
  readonly #clients: Pick<ClientStore, 'webhookTarget'>;
  readonly #sweeper: ExpirySweep;
  readonly #settings: WebhookSettings;
  readonly #policy: DeliveryPolicy;
  readonly #log: Logger;
  readonly #random: () => number;
  readonly #inFlight = new Map<string, Promise<void>>();
  readonly #unsubscribe: () => void;
  #timer: NodeJS.Timeout | null = null;
  #ticking = false;
  /** The look under way, awaited by close() so nothing touches the store after it. */
  #looking: Promise<number> | null = null;
  #again = false;
  #closed = false;
  #lastPrune = 0;
  #lastSweep = 0;
  readonly #stop = new AbortController();

  constructor(deps: WebhookDispatcherDeps, settings: WebhookSettings, policy: DeliveryPolicy, log: Logger, random = Math.random) {
    this.#events = deps.events;
    this.#clients = deps.clients;
    this.#sweeper = deps.sweeper;
    this.#settings = settings;
    this.#policy = policy;
    this.#log = log;
    this.#random = random;
    this.#unsubscribe = deps.wakes.onWake(() => this.wake());
  }

  start(): void {
    this.#schedule(0);
  }

  /** Look now (a commit in this process queued an event). Never runs inside the caller's tick. */
  wake(): void {
    if (this.#closed) return;
    // A look under way (it awaits the store) looks again as soon as it ends: nothing announced mid-look is missed.
    if (this.#ticking) this.#again = true;
    else this.#schedule(0);
  }

  /**
   * Stops looking and cuts attempts in flight: their events are given back, due at once, so the
   * next process (or this one restarted) sends them without waiting out a lease. A receiver that
   * got a cut attempt's body whole sees it again: at least once.
   */
  async close(): Promise<void> {
    this.#closed = true;
    this.#unsubscribe();
    if (this.#timer) clearTimeout(this.#timer);
    this.#stop.abort();
    // A look awaiting the store may still claim: its attempts start, see the stop and give their events back.
    if (this.#looking) await this.#looking.catch(() => {});
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight.values()]);
  }

  /** Tests: resolves once nothing is in flight in this process. */
  async idle(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight.values()]);
  }

  #schedule(delayMs: number): void {
    if (this.#closed) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.#tick(), Math.max(0, delayMs));
    this.#timer.unref();
  }

  async #tick(): Promise<void> {
    this.#timer = null;
    if (this.#closed) return;
    if (this.#ticking) {
      this.#again = true;
      return;
    }
    this.#ticking = true;
    let wait: number;
    const run = this.#look();
    this.#looking = run;
    try {
      wait = await run;
    } finally {
      this.#ticking = false;
      this.#looking = null;
    }
    if (this.#again) {
      this.#again = false;
      wait = 0;
    }
    this.#schedule(wait);
  }

  /** One look: sweep and prune when due, claim what is due, and return how long to wait before the next. */
  async #look(): Promise<number> {
    const now = Date.now();
    // Wake-ups come with every decision; the sweep needs running only once a poll. A sweep or prune
    // that fails (a store away, a busy database) does not hold back the deliveries: the next poll retries.
    if (now - this.#lastSweep >= this.#settings.pollMs) {
      this.#lastSweep = now;
      try {
        await this.#sweeper.sweep(now);
      } catch (err) {
        this.#log.warn({ err: (err as Error).message }, 'expiry sweep failed');
      }
    }
    if (now - this.#lastPrune >= PRUNE_EVERY_MS) {
      this.#lastPrune = now;
      try {
        const pruned = await this.#events.prune(now - this.#settings.retainMs);
        if (pruned > 0) this.#log.info({ pruned }, 'webhook events pruned');
      } catch (err) {
        this.#log.warn({ err: (err as Error).message }, 'webhook prune failed');
      }
    }
    try {
      const free = this.#settings.concurrency - this.#inFlight.size;
      if (free > 0 && !this.#closed) {
        for (const event of await this.#events.claimDue(now, free, leaseMs(this.#settings))) {
          // Claimed as close() began: the attempt sees the stop signal and gives the event back.
          const job = this.#attempt(event).finally(() => {
            this.#inFlight.delete(event.id);
            this.wake();
          });
          this.#inFlight.set(event.id, job);
        }
      }
    } catch (err) {
      // A busy database (another process's long write) or the like: the next poll tries again.
      this.#log.warn({ err: (err as Error).message }, 'webhook dispatch tick failed');
    }
    // The next look: the poll interval, or sooner when an event of ours falls due before it.
    let wait = this.#settings.pollMs;
    if (this.#inFlight.size < this.#settings.concurrency && !this.#closed) {
      try {
        const due = await this.#events.nextDueAt();
        if (due !== null) wait = Math.min(wait, Math.max(0, due - Date.now()));
      } catch {
        /* polled again after the interval */
      }
    }
    return wait;
  }

  async #attempt(event: ClaimedEvent): Promise<void> {
    try {
      await this.#attemptOnce(event);
    } catch (err) {
      // Never an unhandled rejection: the lease runs out and the event is attempted again.
      this.#log.warn({ event: event.id, client: event.clientId, err: (err as Error).message }, 'webhook attempt failed unexpectedly');
    }
  }

  async #attemptOnce(event: ClaimedEvent): Promise<void> {
    const startedAt = Date.now();
    let outcome: DeliveryOutcome;
    let target;
    try {
      target = await this.#clients.webhookTarget(event.clientId);
    } catch {
      // A sealed secret that does not open: secrets.json is not the one it was sealed under.
      target = undefined;
    }
    if (target === undefined) {
      outcome = { ok: false, statusCode: null, error: 'the signing secret does not open (secrets.json changed?)', durationMs: 0, permanent: true, retryAfterMs: null };
    } else if (!target) {
      outcome = { ok: false, statusCode: null, error: 'the client has no webhook now', durationMs: 0, permanent: true, retryAfterMs: null };
    } else {
      const headers = webhookHeaders(target.keys, event.id, event.payload, startedAt);
      outcome = await deliverOnce(target.url, event.payload, headers, this.#policy, this.#settings.resolve ?? systemResolver, {
        timeoutMs: this.#settings.timeoutMs,
        connectTimeoutMs: this.#settings.connectTimeoutMs,
        maxResponseBytes: this.#settings.maxResponseBytes,
      }, this.#stop.signal);
    }
    const now = Date.now();
    if (outcome.error === 'shutdown') {
      try {
        await this.#events.release(event, now);
      } catch {
        /* the lease runs out instead */
      }
      this.#log.info({ event: event.id, client: event.clientId, attempt: event.attempts }, 'webhook attempt cut by shutdown: queued again');
      return;
    }
    let end: AttemptEnd;
    if (outcome.ok) end = { kind: 'delivered' };
    else if (outcome.permanent || now >= event.giveUpAt) end = { kind: 'failed' };
    else {
      const wait = Math.max(retryDelayMs(event.attempts, this.#settings, this.#random), Math.min(outcome.retryAfterMs ?? 0, this.#settings.retryMaxDelayMs));
      // The last retry is made at the deadline itself rather than skipped.
      end = { kind: 'retry', at: Math.min(now + wait, event.giveUpAt) };
    }
    const result = outcome.ok ? `HTTP ${outcome.statusCode}` : outcome.error ?? 'failed';
    const fields = {
      event: event.id,
      type: event.type,
      client: event.clientId,
      attempt: event.attempts,
      ...(outcome.statusCode !== null && { status: outcome.statusCode }),
      ...(outcome.error !== null && { error: outcome.error }),
      ms: outcome.durationMs,
      ...(end.kind === 'retry' && { retry_in_ms: end.at - now }),
    };
    try {
      const kept = await this.#events.recordAttempt(
        event,
        { eventId: event.id, attempt: event.attempts, at: startedAt, durationMs: outcome.durationMs, statusCode: outcome.statusCode, error: outcome.error },
        end,
        result,
      );
      if (!kept) this.#log.warn(fields, 'webhook attempt outlived its lease: another dispatcher has the event now');
    } catch (err) {
      // Not recorded: the lease runs out and the event is attempted again (at least once).
      this.#log.warn({ ...fields, err: (err as Error).message }, 'webhook attempt not recorded');
      return;
    }
    if (end.kind === 'delivered') this.#log.info(fields, 'webhook delivered');
    else if (end.kind === 'failed') this.#log.warn(fields, 'webhook failed for good');
    else this.#log.warn(fields, 'webhook attempt failed');
  }
}
