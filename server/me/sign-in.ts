import crypto from 'node:crypto';
import { nanoid } from 'nanoid';
import type { MeOtpResponse } from '../../protocol/api.ts';
import type { LangCode } from '../../protocol/languages.ts';
import { ApiError } from '../errors.ts';
import { generateOtp, hashOtp, otpMatches } from '../otp/otp.ts';
import type { Caller } from '../sessions/caller.ts';
import { FlowContext, type FlowDeps, runSteps } from '../sessions/flow-context.ts';
import { countQuotas, SMS_QUOTAS } from '../sessions/steps/count-quotas.ts';
import { keyPerson } from '../sessions/steps/key-person.ts';
import { compareWithinMobileBudget, lockedError, refuseIfMobileLocked, refuseSend, refuseWrongCode, secondsUntilExpiry } from '../sessions/steps/locks.ts';
import { refuseLockedMobile } from '../sessions/steps/refuse-locked-mobile.ts';
import { keyedHash, keyedHashMatches } from '../store/secrets.ts';
import type { SignIn, SignInStore } from './sign-in-store.ts';
import { signInSmsText } from './sms-text.ts';

/** How long a sign-in lasts once the code was right: long enough to read, short on a shared phone. No extension. */
export const SIGNED_IN_SECONDS = 600;

/** The check's SMS quotas, but for the per-client one: no verifier asks here. */
const SIGN_IN_QUOTAS = SMS_QUOTAS.filter((quota) => quota !== 'sms_client');

/** Who is signed in: a mobile (its keyed hash), for this sign-in only. */
export interface SignedIn {
  signInId: string;
  mobileHash: Buffer;
}

// A sign-in's code is hashed under its own namespace, so it can never stand for a check session's code.
const codeScope = (id: string) => `me:${id}`;
const SECRET_LABEL = 'me-signed-in';

const notFound = () => new ApiError('session_not_found', 'This sign-in was not found. Ask for a new code.');

/**
 * Sign-in to the citizen's own history by a code to the mobile, under the check's limits: the same
 * SMS quotas per mobile, address and service; the same resend delay and sends per sign-in; the same
 * wrong-code lock per sign-in and per mobile (one counter with the check, so guesses here count there).
 */
export class MeSignIn {
  readonly #deps: FlowDeps;
  readonly #store: SignInStore;

  constructor(deps: FlowDeps, store: SignInStore) {
    this.#deps = deps;
    this.#store = store;
  }

  /** A code to the mobile, new or resent. The same answer, and the same work, whether or not anyone is registered on it. */
  async sendCode(input: { mobile: string; sign_in_id?: string | undefined; lang?: LangCode | undefined }, caller: Caller): Promise<MeOtpResponse> {
    const { limits, secrets, registry, sms, events } = this.#deps;
    // A sign-in is about a mobile, not a person: no name (the lock and the quotas look at the mobile only).
    const ctx = new FlowContext(this.#deps, caller, { mobile: input.mobile, name: '' });
    await runSteps(ctx, [keyPerson]);
    const { mobileHash } = ctx.get('person');
    const previous = input.sign_in_id === undefined ? null : await this.#awaitingCode(input.sign_in_id, ctx.now);
    // Another mobile's sign-in id reads as unknown: the answer says nothing about that sign-in.
    if (previous && !previous.mobileHash.equals(mobileHash)) throw notFound();
    if (previous) refuseSend(previous, limits, ctx.now);
    await runSteps(ctx, [refuseLockedMobile, countQuotas(SIGN_IN_QUOTAS)]);

    const id = previous?.id ?? `msi_${nanoid(24)}`;
    const otp = generateOtp();
    const code = { otpHash: hashOtp(secrets.otpKey, codeScope(id), otp), otpSentAt: ctx.now, otpExpiresAt: ctx.now + limits.otpTtlSeconds * 1000 };
    if (previous) {
      if (!(await this.#store.recordResend(id, previous.sends, code))) throw new ApiError('invalid_state', 'Another code was just sent.');
    } else {
      await this.#store.create({ id, mobileHash, createdAt: ctx.now, expiresAt: ctx.now + this.#deps.sessionTtlSeconds * 1000, ...code });
    }
    const text = signInSmsText({ code: otp, serviceHost: this.#deps.serviceHost, validMinutes: Math.ceil(limits.otpTtlSeconds / 60), lang: input.lang });
    if ((await registry.lookupKeyed(mobileHash, '')).registered) sms.dispatch({ to: input.mobile, text }, { sessionId: id });
    events.otpSent();
    return {
      sign_in_id: id,
      expires_in: limits.otpTtlSeconds,
      resend_after: limits.resendAfterSeconds,
      sends_left: limits.maxSendsPerSession - (previous?.sends ?? 0) - 1,
    };
  }

  /** The right code signs in: a fresh secret (for the cookie) and when the sign-in ends. */
  async verify(input: { sign_in_id: string; otp: string }): Promise<{ secret: string; expiresAt: number }> {
    const { limits, secrets } = this.#deps;
    const now = Date.now();
    const signIn = await this.#awaitingCode(input.sign_in_id, now);
    await refuseIfMobileLocked(this.#deps, signIn.mobileHash);
    if (now > signIn.otpExpiresAt) throw new ApiError('otp_expired', 'This code has expired: ask for a new one.');
    // The same per-mobile budget as a check's code: reserved before the compare, given back when right.
    const { otpHash } = signIn;
    const perMobile = await compareWithinMobileBudget(
      this.#deps,
      signIn.mobileHash,
      now,
      () => otpHash !== null && otpMatches(secrets.otpKey, codeScope(signIn.id), input.otp, otpHash),
    );
    if (perMobile !== null) {
      const counted = await this.#store.recordWrongCode(signIn.id, limits.maxWrongOtpPerSession);
      // A racing request moved the sign-in on since it was read.
      if (counted === null) throw this.#refusal(await this.#store.get(signIn.id), now);
      return refuseWrongCode(this.#deps, signIn, counted, perMobile, now);
    }
    const secret = crypto.randomBytes(32).toString('base64url');
    const expiresAt = now + SIGNED_IN_SECONDS * 1000;
    // otpHash is not null: the code matched it.
    if (!(await this.#store.markSignedIn(signIn.id, otpHash!, keyedHash(secrets.otpKey, SECRET_LABEL, signIn.id, secret), expiresAt))) {
      throw new ApiError('invalid_state', 'This code was already checked.');
    }
    return { secret: `${signIn.id}.${secret}`, expiresAt };
  }

  /** Who the cookie's value signs in, or a 401. */
  async authenticate(cookie: string | null): Promise<SignedIn> {
    const [id, secret] = (cookie ?? '').split('.');
    const signIn = id && secret ? await this.#store.get(id) : null;
    const valid =
      signIn !== null &&
      signIn.state === 'signed_in' &&
      Date.now() < signIn.expiresAt &&
      signIn.secretHash !== null &&
      keyedHashMatches(this.#deps.secrets.otpKey, signIn.secretHash, SECRET_LABEL, signIn.id, secret!);
    if (!valid) throw new ApiError('unauthorized', 'Not signed in, or the sign-in has ended. Sign in again.');
    return { signInId: signIn.id, mobileHash: signIn.mobileHash };
  }

  async signOut(signedIn: SignedIn): Promise<void> {
    await this.#store.signOut(signedIn.signInId);
  }

  /** A sign-in still waiting for its code, or the reason it is not. */
  async #awaitingCode(id: string, now: number): Promise<SignIn> {
    const signIn = await this.#store.get(id);
    if (signIn?.state === 'code_sent' && now < signIn.expiresAt) return signIn;
    throw this.#refusal(signIn, now);
  }

  #refusal(signIn: SignIn | null, now: number): ApiError {
    if (!signIn || signIn.state === 'signed_out') return notFound();
    if (now >= signIn.expiresAt) return new ApiError('session_expired', 'This sign-in has expired. Ask for a new code.');
    if (signIn.state === 'locked') return lockedError(secondsUntilExpiry(signIn, now));
    return new ApiError('invalid_state', 'This code was already checked.');
  }
}
