// The verification's state and its calls to the service. The app renders whatever this holds and
// forwards the citizen's actions here; every change asks the app to re-render.
import type { ReactiveControllerHost } from 'lit';
import { NAME_TRIES_PER_SESSION, type ConsentResponse, type SendOtpResponse, type VaccinationStatus } from '../../protocol/api.ts';
import type { FrameOptions, FramePageConfig } from '../../protocol/messages.ts';
import type { Catalog, Lang } from '../i18n/index.ts';
import { clientFromConfig, clientFromSession, type ConfigClient, type ShownClient } from './client-text.ts';
import { api, ApiFailure, type FailureCode } from './api.ts';

/**
 * `consent` and `correction` follow a correct code, depending on whether the name matched someone
 * on the mobile (a corrected name that matches leads on to `consent`). Nothing the host page can
 * observe may tell them apart (see app.ts).
 */
export type Step = 'starting' | 'details' | 'otp' | 'consent' | 'correction' | 'done' | 'ended';
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

/** Refusals that carry the service's wait (`retry_after`), shown as the local time to try again. */
const WAITS: ReadonlySet<FailureCode> = new Set(['rate_limited', 'send_limit_reached', 'resend_too_soon', 'otp_locked', 'service_unavailable']);

type PageConfig = Extract<FramePageConfig, { ok: true }>;

/** The correction step's state: the code proved the mobile, but the name matched no one on it. */
export interface Correction {
  /** The name last tried (first, the one typed before the code). */
  name: string;
  triesLeft: number;
  /** The names registered on the mobile, once the citizen asked for them. */
  names: readonly string[] | null;
  /** The website fixed the person: the name cannot be changed, the check can only end. */
  fixedByHost: boolean;
}

export class Flow {
  step: Step = 'starting';
  busy = false;
  alert: Alert | null = null;
  notice = '';
  ended: { text: string; outcome: Outcome } | null = null;
  t!: Catalog;
  client: ShownClient = { name: '', purpose: '' };
  /** The language the citizen reads: the SMS and who asks follow it. */
  lang: Lang = 'en';
  prefill = { mobile: '', name: '' };
  sent: SentOtp | null = null;
  /** The status the citizen shared: the frame learns it only from the answer to their Share. */
  shared: VaccinationStatus | undefined;

  /** Who runs the service, as the privacy line and consent step name it. */
  issuer = '';
  correction: Correction = { name: '', triesLeft: NAME_TRIES_PER_SESSION, names: null, fixedByHost: false };

  readonly #host: ReactiveControllerHost;
  #sessionId = '';
  #config: ConfigClient | null = null;
  /** A frame-made session can be replaced by a new one (the first code fixes a session's person). */
  #newSession: (() => Promise<void>) | null = null;
  /** The citizen went back to change the number: the next code starts a new frame-made session. */
  #personChanged = false;
  /** A newer code was sent since the first: a wrong code may be the older one. */
  #resent = false;
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
    this.client = clientFromConfig(config, this.lang);
    this.#config = config;
    this.prefill = { mobile: options.mobile ?? '', name: options.name ?? '' };
    this.issuer = config.issuerName;
    // Frame-made session: the page config already names who asks and why (the page cannot word
    // the purpose), so the form shows at once; Send OTP stays disabled until the session exists.
    if (!options.sessionId) this.#go('details');
    await this.#call(async () => {
      // A host's session is read back (its own purpose wording); otherwise the frame makes one.
      const create = () => api.createSession({ client_id: config.clientId, origin: config.parentOrigin, nonce: options.nonce, lang: this.lang });
      const session = options.sessionId ? await api.sessionContext(options.sessionId, this.lang) : await create();
      if (!options.sessionId) {
        this.#newSession = async () => {
          this.#sessionId = (await create()).session_id;
        };
      }
      // A session of another verifier would have the SMS and token name someone the citizen was not shown.
      if (session.client.id !== config.clientId) throw new ApiFailure('forbidden');
      this.#sessionId = session.session_id;
      this.client = clientFromSession(session.client);
      this.#go('details');
    });
    // Without a session there is nothing the citizen can retry here.
    if (!this.#sessionId && this.step !== 'ended') this.end(this.alert?.text ?? this.t.errors.internal_error, 'failed');
  }

  async sendOtp(mobile: string, name: string): Promise<void> {
    await this.#call(async () => {
      // A host's session stays (the service refuses another person on it, with a message saying so).
      if (this.#personChanged && this.#newSession) await this.#newSession();
      this.#personChanged = false;
      this.#resent = false;
      this.sent = { ...(await api.sendOtp(this.#sessionId, { mobile, name, lang: this.lang })), sentAt: Date.now() };
      this.#details = { mobile, name };
      this.#go('otp');
    });
  }

  async resend(): Promise<void> {
    await this.#call(async () => {
      this.sent = { ...(await api.sendOtp(this.#sessionId, { ...this.#details, lang: this.lang })), sentAt: Date.now() };
      this.#resent = true;
      this.notice = this.t.resent;
    }, 'otp');
  }

  async verifyOtp(otp: string): Promise<void> {
    await this.#call(async () => {
      const answer = await api.verifyOtp(this.#sessionId, { otp });
      this.#consentTicket = answer.consent_ticket ?? '';
      // A name that matches no one on the mobile is never shared as "not vaccinated": the code's
      // holder may correct it (or pick theirs from the mobile's names), or end the check.
      if (answer.name_matched === false) {
        this.correction = { name: this.#details.name, triesLeft: NAME_TRIES_PER_SESSION, names: null, fixedByHost: false };
        this.#go('correction');
      } else {
        this.#go('consent');
      }
    }, 'otp');
  }

  /** Another name on the proven mobile; a match leads on to the consent step, for that person. */
  async correctName(name: string): Promise<void> {
    if (this.busy || this.step !== 'correction') return;
    await this.#call(async () => {
      const answer = await this.#correcting(() => api.correctName(this.#sessionId, { consent_ticket: this.#consentTicket, name }));
      if (!answer) return;
      if (answer.name_matched) {
        this.#details = { ...this.#details, name };
        this.#go('consent');
        return;
      }
      this.correction = { ...this.correction, name, triesLeft: answer.name_tries_left };
      // With tries left, back to the name field; without, the step says the check can only end.
      this.alert = { text: `${this.t.nameMissed} ${this.t.nameTriesLeft(answer.name_tries_left)}`, field: answer.name_tries_left > 0 ? 'name' : undefined };
    }, 'name');
  }

  /** The names registered on the proven mobile, to pick from (a pick still goes through correctName). */
  async showNames(): Promise<void> {
    if (this.busy || this.step !== 'correction') return;
    await this.#call(async () => {
      const answer = await this.#correcting(() => api.members(this.#sessionId, { consent_ticket: this.#consentTicket }));
      if (answer) this.correction = { ...this.correction, names: answer.names };
    });
  }

  /** A refusal that leaves the check on the correction step, only to be ended, is state, not an error. */
  async #correcting<T>(request: () => Promise<T>): Promise<T | null> {
    try {
      return await request();
    } catch (error) {
      if (!(error instanceof ApiFailure)) throw error;
      if (error.code === 'name_fixed_by_host') this.correction = { ...this.correction, fixedByHost: true };
      else if (error.code === 'name_tries_exhausted') this.correction = { ...this.correction, triesLeft: 0 };
      else throw error;
      return null;
    }
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

  /** "No code?": back to the details, as typed, to change the mobile number. */
  changeNumber(): void {
    this.prefill = { ...this.#details };
    this.#personChanged = true;
    this.alert = null;
    this.notice = '';
    this.#go('details');
  }

  /**
   * The citizen chose another language: the texts follow at once, then who asks and why (in that
   * language where registered); the step, what was typed and the code's timers stay as they are.
   */
  async relabel(t: Catalog, lang: Lang): Promise<void> {
    this.t = t;
    this.lang = lang;
    if (this.#config) this.client = clientFromConfig(this.#config, lang);
    this.#host.requestUpdate();
    if (!this.#sessionId) return;
    try {
      this.client = clientFromSession((await api.sessionContext(this.#sessionId, lang)).client);
      this.#host.requestUpdate();
    } catch {
      // The names stay as they were; the check goes on.
    }
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

  #failureText({ code, attemptsLeft, retryAfter }: ApiFailure): string {
    const { t } = this;
    if (code === 'otp_invalid' && attemptsLeft !== undefined) return this.#resent ? t.attemptsLeftNewest(attemptsLeft) : t.attemptsLeft(attemptsLeft);
    if (!WAITS.has(code)) return t.errors[code];
    const wait = retryAfter === undefined ? t.tryAgainLater : t.tryAgainAfter(new Date(Date.now() + retryAfter * 1000));
    return `${t.errors[code]} ${wait}`;
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
        this.end(this.#failureText(failure), outcome);
      } else {
        this.alert = { text: this.#failureText(failure), field };
      }
      return null;
    } finally {
      this.busy = false;
      this.#host.requestUpdate();
    }
  }
}
