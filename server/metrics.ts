import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { SessionEvents } from './sessions/flow-context.ts';
import type { SmsEvents } from './sms/dispatcher.ts';

/** Prometheus metrics: counts of what happened, labelled by route and outcome, never by person. */
export class Metrics implements SessionEvents, SmsEvents {
  readonly registry = new Registry();
  readonly #requests: Histogram<'method' | 'route' | 'status'>;
  #steps: Histogram<'endpoint' | 'step'> | null = null;
  readonly #otpSent: Counter;
  readonly #sms: Counter<'outcome'>;
  readonly #otpFailed: Counter<'locked'>;
  readonly #tokens: Counter;
  readonly #denials: Counter;
  readonly #quota: Counter<'quota'>;

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'kycvs_' });
    this.#requests = new Histogram({
      name: 'kycvs_http_request_duration_seconds',
      help: 'HTTP request latency by route and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [this.registry],
    });
    this.#otpSent = new Counter({ name: 'kycvs_otp_requests_total', help: 'OTP requests accepted', registers: [this.registry] });
    this.#sms = new Counter({
      name: 'kycvs_sms_total',
      help: 'OTP texts handed to the SMS sender, by outcome',
      labelNames: ['outcome'],
      registers: [this.registry],
    });
    this.#otpFailed = new Counter({
      name: 'kycvs_otp_failures_total',
      help: 'Wrong OTPs entered (locked=true: the attempt locked the session or mobile)',
      labelNames: ['locked'],
      registers: [this.registry],
    });
    this.#tokens = new Counter({ name: 'kycvs_tokens_issued_total', help: 'Status tokens issued', registers: [this.registry] });
    this.#denials = new Counter({ name: 'kycvs_denials_total', help: 'Citizens who chose not to share', registers: [this.registry] });
    this.#quota = new Counter({
      name: 'kycvs_quota_refusals_total',
      help: 'Requests refused by a rate quota',
      labelNames: ['quota'],
      registers: [this.registry],
    });
  }

  /**
   * Requests received and not yet answered, read from the HTTP server at scrape time: what a
   * load balancer's drain (and the shutdown test) waits on.
   */
  trackInFlight(count: () => number): void {
    new Gauge({
      name: 'kycvs_http_requests_in_flight',
      help: 'HTTP requests received and not yet answered',
      registers: [this.registry],
      collect() {
        this.set(count());
      },
    });
  }

  observeRequest(method: string, route: string, status: number, seconds: number): void {
    this.#requests.observe({ method, route, status: String(status) }, seconds);
  }

  /** A session-flow step's wall time (KYCVS_STEP_TIMING only: the histogram exists once a step was timed). */
  observeStep(endpoint: string, step: string, seconds: number): void {
    this.#steps ??= new Histogram({
      name: 'kycvs_flow_step_seconds',
      help: 'Wall time of each named step of the session flows, by endpoint (KYCVS_STEP_TIMING)',
      labelNames: ['endpoint', 'step'],
      buckets: [0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.01],
      registers: [this.registry],
    });
    this.#steps.observe({ endpoint, step }, seconds);
  }

  otpSent(): void {
    this.#otpSent.inc();
  }

  smsDelivery(delivered: boolean): void {
    this.#sms.inc({ outcome: delivered ? 'delivered' : 'failed' });
  }

  otpFailed(locked: boolean): void {
    this.#otpFailed.inc({ locked: String(locked) });
  }

  tokenIssued(): void {
    this.#tokens.inc();
  }

  denied(): void {
    this.#denials.inc();
  }

  quotaRefused(which: string): void {
    this.#quota.inc({ quota: which });
  }
}
