import { nanoid } from 'nanoid';
import type {
  ConsentResponse,
  CreateSessionResponse,
  SendOtpRequest,
  SendOtpResponse,
  SessionContext,
  SessionView,
  VerifyOtpResponse,
} from '../../protocol/api.ts';
import type { Client, ClientStore } from '../clients/clients.ts';
import type { AuditEvent } from '../consent/audit.ts';
import { pairwiseSubject } from '../consent/subject.ts';
import { consentTicketMatches, hashConsentTicket, newConsentTicket } from '../consent/ticket.ts';
import { ApiError } from '../errors.ts';
import { generateOtp, hashOtp, otpMatches, otpSmsText } from '../otp/otp.ts';
import type { Limits } from '../quotas/limits.ts';
import type { Quota, RateCounter } from '../quotas/rate-counter.ts';
import { nameKey } from '../registry/names.ts';
import type { Registry } from '../registry/registry.ts';
import type { StatusTokenSigner } from '../signing/status-token.ts';
import type { SmsDispatcher } from '../sms/dispatcher.ts';
import type { Secrets } from '../store/secrets.ts';
import type { CompletableFrom, NewSession, OtpIssue, Session, SessionMode, SessionStore } from './session-store.ts';

export const SESSION_ID_PATTERN = /^ses_[A-Za-z0-9_-]{24}$/;

/** Who is calling: an authenticated host backend (API key), or the widget (holder of the session id). */
export interface Caller {
  apiClient: Client | null;
  ip: string;
}

export interface SessionServiceDeps {
  sessions: SessionStore;
  clients: ClientStore;
  registry: Registry;
  signer: StatusTokenSigner;
  sms: SmsDispatcher;
  counters: RateCounter;
  secrets: Secrets;
  limits: Limits;
  sessionTtlSeconds: number;
  serviceHost: string;
  events: SessionEvents;
}

/** Hooks for metrics: what happened, never to whom. */
export interface SessionEvents {
  /** Counted alike for registered and unregistered mobiles: metrics must not enumerate either. */
  otpSent(): void;
  otpFailed(locked: boolean): void;
  tokenIssued(): void;
  denied(): void;
  quotaRefused(which: string): void;
}

/** Who the code is for, as the citizen or the host typed it: the body of `POST …/otp`. */
type Person = SendOtpRequest;

interface NamedQuota extends Quota {
  /** Metrics label. */
  name: string;
}

const HOUR = 3600;
const DAY = 86_400;

/** The verification flow and its state machine: created → otp_sent → verified → completed | denied. */
export class SessionService {
  readonly #d: SessionServiceDeps;

  constructor(deps: SessionServiceDeps) {
    this.#d = deps;
  }

  /**
   * Starts a verification. Given the person (server-to-server), the session starts with its
   * first code sent, in one write: the quotas of both steps are counted together.
   */
  async create(input: {
    client: Client;
    mode: SessionMode;
    origin: string | null;
    nonce: string | null;
    purpose: string | null;
    person: Person | null;
    caller: Caller;
  }): Promise<CreateSessionResponse> {
    const { client } = input;
    if (client.status !== 'active') throw new ApiError('client_disabled', 'This verifier is not active.');
    const now = Date.now();
    const session: NewSession = {
      id: `ses_${nanoid(24)}`,
      clientId: client.id,
      mode: input.mode,
      origin: input.origin,
      purpose: input.purpose ?? client.purpose,
      nonce: input.nonce,
      createdAt: now,
      expiresAt: now + this.#d.sessionTtlSeconds * 1000,
    };
    const created: CreateSessionResponse = {
      session_id: session.id,
      expires_at: new Date(session.expiresAt).toISOString(),
      client: { id: client.id, name: client.name, purpose: session.purpose },
    };
    const perIp: NamedQuota = {
      key: `sessions:ip:${input.caller.ip}`,
      limit: this.#d.limits.sessionsPerIpPerMinute,
      windowSeconds: 60,
      name: 'sessions_ip',
    };
    if (!input.person) {
      await this.#quotas([perIp]);
      await this.#d.sessions.create(session);
      return created;
    }
    const otp = await this.#prepareOtp({ ...session, sends: 0 }, client, input.person, input.caller, now, [perIp]);
    await this.#d.sessions.createWithOtp(session, otp.issue);
    created.otp = otp.deliver();
    return created;
  }

  /**
   * Sends (or resends) the OTP. Registered or not, the answer and the work done are the same;
   * only the SMS, sent after the answer, differs.
   */
  async sendOtp(id: string, person: Person, caller: Caller): Promise<SendOtpResponse> {
    const { session, client } = await this.#load(id, caller);
    const { limits } = this.#d;
    if (session.state === 'locked') throw lockedError();
    if (session.state !== 'created' && session.state !== 'otp_sent') {
      throw new ApiError('invalid_state', 'This verification has moved past the OTP step.');
    }
    const now = Date.now();
    if (session.sends >= limits.maxSendsPerSession) {
      throw new ApiError('send_limit_reached', 'No more codes can be sent in this verification. Start again later.');
    }
    if (session.otpSentAt !== null) {
      const wait = Math.ceil((session.otpSentAt + limits.resendAfterSeconds * 1000 - now) / 1000);
      if (wait > 0) throw new ApiError('resend_too_soon', `Wait ${wait} s before asking for a new code.`, { retry_after: wait });
    }
    const otp = await this.#prepareOtp(session, client, person, caller, now, []);
    if (!(await this.#d.sessions.recordOtpSent(session.id, session.sends, otp.issue))) {
      throw new ApiError('invalid_state', 'Another request changed this verification; try again.');
    }
    return otp.deliver();
  }

  /**
   * Everything about a new code short of storing it: the mobile's lock, the sending quotas (with
   * `alsoCount`, all or none), the registry lookup, the code, and its text — sent by `deliver`
   * once the code is stored, and only to a registered mobile.
   */
  async #prepareOtp(
    session: Pick<Session, 'id' | 'sends' | 'purpose' | 'origin'>,
    client: Client,
    person: Person,
    caller: Caller,
    now: number,
    alsoCount: readonly NamedQuota[],
  ): Promise<{ issue: OtpIssue; deliver(): SendOtpResponse }> {
    const { limits } = this.#d;
    const mobileHash = this.#d.registry.mobileHash(person.mobile);
    const mobileKey = mobileHash.toString('base64url');
    await this.#refuseLockedMobile(mobileKey);
    await this.#quotas([
      ...alsoCount,
      { key: `sms:ip:${caller.ip}`, limit: limits.smsPerIpPerHour, windowSeconds: HOUR, name: 'sms_ip' },
      { key: `sms:client:${client.id}`, limit: limits.smsPerClientPerHour, windowSeconds: HOUR, name: 'sms_client' },
      { key: 'sms:global', limit: limits.smsGlobalPerMinute, windowSeconds: 60, name: 'sms_global' },
      { key: `sms:mobile:${mobileKey}`, limit: limits.smsPerMobilePerHour, windowSeconds: HOUR, name: 'sms_mobile' },
    ]);

    const found = await this.#d.registry.lookup(person.mobile, person.name);
    const otp = generateOtp();
    const personRef = found.match ? `b:${found.match.beneficiaryId}` : `m:${mobileKey}:${nameKey(person.name)}`;
    const issue: OtpIssue = {
      mobileHash,
      otpHash: hashOtp(this.#d.secrets.otpKey, session.id, otp),
      sentAt: now,
      otpExpiresAt: now + limits.otpTtlSeconds * 1000,
      vaccinationStatus: found.match?.status ?? 0,
      nameMatched: found.match !== null,
      subject: pairwiseSubject(this.#d.secrets.subjectKey, client.id, personRef),
    };
    return {
      issue,
      deliver: () => {
        // The text is written for every request, registered or not: the same work on the request path.
        const text = otpSmsText({
          code: otp,
          clientName: client.name,
          purpose: session.purpose,
          embeddingHost: session.origin ? new URL(session.origin).host : null,
          serviceHost: this.#d.serviceHost,
          validMinutes: Math.ceil(limits.otpTtlSeconds / 60),
        });
        if (found.registered) this.#d.sms.dispatch({ to: person.mobile, text }, { sessionId: session.id });
        this.#d.events.otpSent();
        return {
          expires_in: limits.otpTtlSeconds,
          resend_after: limits.resendAfterSeconds,
          sends_left: limits.maxSendsPerSession - session.sends - 1,
        };
      },
    };
  }

  async verifyOtp(id: string, input: { otp: string; consent: boolean }, caller: Caller): Promise<VerifyOtpResponse> {
    const { session, client } = await this.#load(id, caller);
    if (input.consent && !caller.apiClient) {
      throw new ApiError('forbidden', 'consent: true is for host backends calling with their API key; the widget asks the citizen.');
    }
    if (session.state === 'locked') throw lockedError();
    if (session.state === 'created') throw new ApiError('otp_not_sent', 'No code was sent yet: ask for one first.');
    if (session.state !== 'otp_sent') throw new ApiError('invalid_state', 'This code was already checked.');
    const mobileKey = session.mobileHash!.toString('base64url');
    await this.#refuseLockedMobile(mobileKey);
    if (Date.now() > session.otpExpiresAt!) throw new ApiError('otp_expired', 'This code has expired: ask for a new one.');

    if (!otpMatches(this.#d.secrets.otpKey, session.id, input.otp, session.otpHash!)) {
      const limits = this.#d.limits;
      const counted = await this.#d.sessions.recordWrongOtp(session.id, limits.maxWrongOtpPerSession);
      const perMobile = await this.#d.counters.hit(`otpfail:mobile:${mobileKey}`, limits.maxWrongOtpPerMobilePerDay, DAY);
      const locked = counted === null || counted.state === 'locked' || perMobile.count >= limits.maxWrongOtpPerMobilePerDay;
      this.#d.events.otpFailed(locked);
      if (locked) throw lockedError();
      throw new ApiError('otp_invalid', 'That code is not right.', {
        attempts_left: limits.maxWrongOtpPerSession - counted.failedAttempts,
      });
    }
    const alreadyChecked = () => new ApiError('invalid_state', 'This code was already checked.');
    const answer: VerifyOtpResponse = { vaccination_status: session.vaccinationStatus ?? 0, name_matched: session.nameMatched === true };
    if (input.consent) {
      // The host backend consented for the citizen: straight to completed, in one write.
      const token = await this.#issueToken(session, client, { state: 'otp_sent', otpHash: session.otpHash! });
      if (token === null) throw alreadyChecked();
      answer.token = token;
      return answer;
    }
    const ticket = newConsentTicket();
    const ticketHash = hashConsentTicket(this.#d.secrets.otpKey, session.id, ticket);
    if (!(await this.#d.sessions.markVerified(session.id, session.otpHash!, ticketHash))) throw alreadyChecked();
    answer.consent_ticket = ticket;
    return answer;
  }

  async consent(id: string, input: { decision: 'allow' | 'deny'; ticket: string }, caller: Caller): Promise<ConsentResponse> {
    const { session, client } = await this.#load(id, caller);
    const { decision } = input;
    if (session.state !== 'verified') {
      const message =
        session.state === 'completed' || session.state === 'denied'
          ? 'The citizen already decided in this verification.'
          : 'The OTP has not been verified yet.';
      throw new ApiError('invalid_state', message);
    }
    if (!consentTicketMatches(this.#d.secrets.otpKey, session.id, input.ticket, session.consentTicketHash)) {
      throw new ApiError('forbidden', 'Only the person who entered the code can decide.');
    }
    const alreadyDecided = () => new ApiError('invalid_state', 'The citizen already decided in this verification.');
    if (decision === 'allow') {
      const token = await this.#issueToken(session, client, { state: 'verified' });
      if (token === null) throw alreadyDecided();
      return { token, vaccination_status: session.vaccinationStatus ?? 0 };
    }
    if (!(await this.#d.sessions.deny(session.id, this.#audit(session, 'deny', null)))) throw alreadyDecided();
    this.#d.events.denied();
    return { denied: true };
  }

  async context(id: string, caller: Caller): Promise<SessionContext> {
    const { session, client } = await this.#load(id, caller);
    return {
      session_id: session.id,
      client: { id: client.id, name: client.name, purpose: session.purpose },
      state: session.state,
      expires_at: new Date(session.expiresAt).toISOString(),
    };
  }

  async view(id: string, caller: Caller): Promise<SessionView> {
    if (!caller.apiClient) throw new ApiError('unauthorized', 'An API key is required to read a session.');
    if (caller.apiClient.status !== 'active') throw new ApiError('client_disabled', 'This verifier is not active.');
    const session = await this.#find(id, caller);
    const expired = isExpired(session, Date.now());
    const view: SessionView = {
      session_id: session.id,
      client_id: session.clientId,
      state: expired ? 'expired' : session.state,
      purpose: session.purpose,
      nonce: session.nonce,
      created_at: new Date(session.createdAt).toISOString(),
      expires_at: new Date(session.expiresAt).toISOString(),
    };
    if (session.state === 'completed') {
      view.vaccination_status = session.vaccinationStatus ?? 0;
      view.token = session.token!;
    }
    return view;
  }

  /** Signs and stores the token if the session is still in state `from`; null if another request moved it first. */
  async #issueToken(session: Session, client: Client, from: CompletableFrom): Promise<string | null> {
    const status = session.vaccinationStatus ?? 0;
    const issued = await this.#d.signer.sign({
      clientId: client.id,
      subject: session.subject!,
      sessionId: session.id,
      nonce: session.nonce,
      status,
    });
    // Compare-and-set: of concurrent consents only one stores its token; the others' are discarded unseen.
    if (!(await this.#d.sessions.complete(session.id, from, issued, this.#audit(session, 'allow', issued.jti)))) return null;
    this.#d.events.tokenIssued();
    return issued.token;
  }

  #audit(session: Session, event: 'allow' | 'deny', tokenJti: string | null): AuditEvent {
    return {
      at: Date.now(),
      clientId: session.clientId,
      sessionId: session.id,
      purpose: session.purpose,
      event,
      vaccinationStatus: event === 'allow' ? (session.vaccinationStatus ?? 0) : null,
      subject: session.subject,
      tokenJti,
    };
  }

  /** A session the caller may act on, still live, with its active client. */
  async #load(id: string, caller: Caller): Promise<{ session: Session; client: Client }> {
    const session = await this.#find(id, caller);
    if (isExpired(session, Date.now())) {
      throw new ApiError('session_expired', 'This verification has expired: start again.');
    }
    const client = caller.apiClient ?? (await this.#d.clients.get(session.clientId));
    if (!client || client.status !== 'active') throw new ApiError('client_disabled', 'This verifier is not active.');
    return { session, client };
  }

  async #find(id: string, caller: Caller): Promise<Session> {
    const session = SESSION_ID_PATTERN.test(id) ? await this.#d.sessions.get(id) : null;
    // Another client's session looks exactly like a missing one.
    if (!session || (caller.apiClient && caller.apiClient.id !== session.clientId)) {
      throw new ApiError('session_not_found', 'No such verification session.');
    }
    return session;
  }

  /**
   * Counts one event against every quota, or against none: a request one quota refuses uses
   * up no other. Otherwise an address past its own cap could still drain a victim's per-mobile
   * quota, locking them out of their codes without a single text being sent.
   */
  async #quotas(quotas: readonly NamedQuota[]): Promise<void> {
    const full = await this.#d.counters.hitAll(quotas);
    if (!full) return;
    this.#d.events.quotaRefused(full.quota.name);
    throw new ApiError('rate_limited', 'Too many requests: try again later.', { retry_after: full.decision.retryAfter });
  }

  async #refuseLockedMobile(mobileKey: string): Promise<void> {
    const fails = await this.#d.counters.peek(`otpfail:mobile:${mobileKey}`, this.#d.limits.maxWrongOtpPerMobilePerDay, DAY);
    if (!fails.allowed) throw lockedError(fails.retryAfter);
  }
}

function isExpired(session: Session, now: number): boolean {
  return now >= session.expiresAt && session.state !== 'completed' && session.state !== 'denied';
}

function lockedError(retryAfter?: number): ApiError {
  return new ApiError(
    'otp_locked',
    'Too many wrong codes: this verification is locked.',
    retryAfter === undefined ? {} : { retry_after: retryAfter },
  );
}
