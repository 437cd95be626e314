// The verification's state and its calls to the service. The app renders whatever this holds and
// forwards the citizen's actions here; every change asks the app to re-render.
import type { ReactiveControllerHost } from 'lit';
import type { ConsentResponse, SendOtpResponse, VaccinationStatus } from '../../protocol/api.ts';
import type { FrameOptions, FramePageConfig } from '../../protocol/messages.ts';
import type { Catalog } from '../i18n/index.ts';
import { api, ApiFailure, type FailureCode } from './api.ts';

/**
 * `consent` and `no-match` follow a correct code, depending on whether the name matched someone
 * on the mobile. Nothing the host page can observe may tell them apart (see app.ts).
 */
export type Step = 'starting' | 'details' | 'otp' | 'consent' | 'no-match' | 'done' | 'ended';
export type Field = 'mobile' | 'name' | 'otp';
export type SentOtp = SendOtpResponse & { sentAt: number };

export interface Alert {
  text: string;
  field?: Field;
}

/** What the loader is told when the check cannot go on; null when there is no loader to tell. */
export type Outcome = 'expired' | 'failed' | null;

/** Errors after which this session cannot succeed; every other error leaves the citizen on the step to retry. */
const ENDS_SESSION: Partial<Record<FailureCode, Exclude<Outcome, null>>> = {
  session_expired: 'expired',
  otp_locked: 'failed',
  session_not_found: 'failed',
  not_found: 'failed',
  invalid_state: 'failed',
  unauthorized: 'failed',
  forbidden: 'failed',
  origin_not_allowed: 'failed',
  client_disabled: 'failed',
  // Only if an allow reached the service for a name that matched no one (the frame offers none).
  name_not_matched: 'failed',
};

type PageConfig = Extract<FramePageConfig, { ok: true }>;

export class Flow {
  step: Step = 'starting';
  busy = false;
  alert: Alert | null = null;
  notice = '';
  ended: { text: string; outcome: Outcome } | null = null;
  t!: Catalog;
  client = { name: '', purpose: '' };
  prefill = { mobile: '', name: '' };
  sent: SentOtp | null = null;
  /** The status the citizen shared: the frame learns it only from the answer to their Share. */
  shared: VaccinationStatus | undefined;

  readonly #host: ReactiveControllerHost;
  #sessionId = '';
  /** Proof, from the OTP check, that this frame may answer the consent question. */
  #consentTicket = '';
  #details = { mobile: '', name: '' };

  constructor(host: ReactiveControllerHost) {
    this.#host = host;
  }

  /** The mobile number the last OTP went to. */
  get sentTo(): string {
    return this.#details.mobile;
  }

  async start(t: Catalog, config: PageConfig, options: FrameOptions): Promise<void> {
    this.t = t;
    this.client = { name: config.clientName, purpose: config.purpose };
    this.prefill = { mobile: options.mobile ?? '', name: options.name ?? '' };
    // Frame-made session: the page config already names who asks and why (the page cannot word
    // the purpose), so the form shows at once; Send OTP stays disabled until the session exists.
    if (!options.sessionId) this.#go('details');
    await this.#call(async () => {
      // A host's session is read back (its own purpose wording); otherwise the frame makes one.
      const session = options.sessionId
        ? await api.sessionContext(options.sessionId)
        : await api.createSession({ client_id: config.clientId, origin: config.parentOrigin, nonce: options.nonce });
      // A session of another verifier would have the SMS and token name someone the citizen was not shown.
      if (session.client.id !== config.clientId) throw new ApiFailure('forbidden');
      this.#sessionId = session.session_id;
      this.client = { name: session.client.name, purpose: session.client.purpose };
      this.#go('details');
    });
    // Without a session there is nothing the citizen can retry here.
    if (!this.#sessionId && this.step !== 'ended') this.end(this.alert?.text ?? this.t.errors.internal_error, 'failed');
  }

  async sendOtp(mobile: string, name: string): Promise<void> {
    await this.#call(async () => {
      this.sent = { ...(await api.sendOtp(this.#sessionId, { mobile, name })), sentAt: Date.now() };
      this.#details = { mobile, name };
      this.#go('otp');
    });
  }

  async resend(): Promise<void> {
    await this.#call(async () => {
      this.sent = { ...(await api.sendOtp(this.#sessionId, this.#details)), sentAt: Date.now() };
      this.notice = this.t.resent;
    }, 'otp');
  }

  async verifyOtp(otp: string): Promise<void> {
    await this.#call(async () => {
      const answer = await api.verifyOtp(this.#sessionId, { otp });
      this.#consentTicket = answer.consent_ticket ?? '';
      // A name that matches no one on the mobile is never shared as "not vaccinated". (Issue 10
      // will let the code's holder correct the name from here.)
      this.#go(answer.name_matched === false ? 'no-match' : 'consent');
    }, 'otp');
  }

  /** The service's answer to the citizen's choice, or null when the call failed (the flow shows why). */
  async decide(allow: boolean): Promise<ConsentResponse | null> {
    // One decision at a time: a double click must not send a second one.
    if (this.busy || this.step !== 'consent') return null;
    return this.#call(async () => {
      const decision = allow ? 'allow' : 'deny';
      const answer = await api.consent(this.#sessionId, { decision, consent_ticket: this.#consentTicket });
      if ('token' in answer) {
        this.shared = answer.vaccination_status;
        this.#go('done');
      }
      return answer;
    });
  }

  invalid(alert: Alert): void {
    this.alert = alert;
    this.#host.requestUpdate();
  }

  end(text: string, outcome: Outcome): void {
    this.ended = { text, outcome };
    this.alert = null;
    this.#go('ended');
  }

  #go(step: Step): void {
    this.step = step;
    this.#host.requestUpdate();
  }

  async #call<T>(work: () => Promise<T>, field?: Field): Promise<T | null> {
    this.busy = true;
    this.alert = null;
    this.notice = '';
    this.#host.requestUpdate();
    try {
      return await work();
    } catch (error) {
      const failure = error instanceof ApiFailure ? error : new ApiFailure('internal_error');
      const outcome = ENDS_SESSION[failure.code];
      if (outcome) {
        this.end(this.t.errors[failure.code], outcome);
      } else {
        const left = failure.attemptsLeft;
        const text = failure.code === 'otp_invalid' && left !== undefined ? this.t.attemptsLeft(left) : this.t.errors[failure.code];
        this.alert = { text, field };
      }
      return null;
    } finally {
      this.busy = false;
      this.#host.requestUpdate();
    }
  }
}
