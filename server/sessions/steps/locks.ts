import { ApiError } from '../../errors.ts';
import type { Limits } from '../../quotas/limits.ts';
import type { RateDecision } from '../../quotas/rate-counter.ts';
import type { FlowDeps } from '../flow-context.ts';

export const DAY = 86_400;

/** The counter of wrong codes for one mobile, across all its sessions. */
export function wrongCodesPerMobile(mobileHash: Buffer): string {
  return `otpfail:mobile:${mobileHash.toString('base64url')}`;
}

/** A session-bound refusal (locked, out of sends) lasts until the session expires; a new verification may start at once. */
export function secondsUntilExpiry(session: { expiresAt: number }, now: number): number {
  return Math.max(1, Math.ceil((session.expiresAt - now) / 1000));
}

/** Too many wrong codes: for this session, or for the mobile in the last day. */
export function lockedError(retryAfter: number): ApiError {
  return new ApiError('otp_locked', 'Too many wrong codes: this verification is locked.', { retry_after: retryAfter });
}

/**
 * A mobile with too many wrong codes in the last day gets no code and no check, in any session or
 * sign-in. Only the early answer (before a send's quotas, before an expired code's otp_expired):
 * a peek guards no limit under concurrency; the check itself reserves (compareWithinMobileBudget).
 */
export async function refuseIfMobileLocked(deps: Pick<FlowDeps, 'counters' | 'limits'>, mobileHash: Buffer): Promise<void> {
  const fails = await deps.counters.peek(wrongCodesPerMobile(mobileHash), deps.limits.maxWrongOtpPerMobilePerDay, DAY);
  if (!fails.allowed) throw lockedError(fails.retryAfter);
}

/** What a code is checked in: the check's session, or a sign-in to the citizen's own history (server/me/). */
export interface CodeHolder {
  expiresAt: number;
  mobileHash: Buffer;
  sends: number;
  otpSentAt: number | null;
}

/** A holder sends a handful of codes, each at least `resendAfterSeconds` after the last. */
export function refuseSend(holder: Omit<CodeHolder, 'mobileHash'>, limits: Limits, now: number): void {
  if (holder.sends >= limits.maxSendsPerSession) {
    throw new ApiError('send_limit_reached', 'No more codes can be sent in this verification. Start again later.', {
      retry_after: secondsUntilExpiry(holder, now),
    });
  }
  if (holder.otpSentAt === null) return;
  const wait = Math.ceil((holder.otpSentAt + limits.resendAfterSeconds * 1000 - now) / 1000);
  if (wait > 0) throw new ApiError('resend_too_soon', `Wait ${wait} s before asking for a new code.`, { retry_after: wait });
}

/**
 * Compares a code only after reserving one of the mobile's wrong codes for the day, so concurrent
 * tries cannot all pass a check of the counter before any is counted: `hit` is the one atomic
 * count-and-decide, in SQLite and in Redis alike. No try left: the mobile's lock, nothing compared
 * (the refused hit is given back, so the count stays the tries compared and the lock ends when it
 * would have). The right code gives its reservation back: a citizen's own codes never use up the
 * budget. Returns null for the right code, else the mobile's count with this wrong try in it.
 *
 * Round trips to the counter: one for a wrong code (the hit, which stands), two for a right one
 * (hit + release). Counting only after a wrong compare (peek, compare, hit) is what let a burst
 * slip past the limit; reserving for every try and giving back the right ones keeps the common
 * case (a citizen typing the right code) at two, and a guess — the thing to limit — at one.
 */
export async function compareWithinMobileBudget(
  deps: Pick<FlowDeps, 'counters' | 'limits'>,
  mobileHash: Buffer,
  now: number,
  matches: () => boolean,
): Promise<RateDecision | null> {
  const { counters, limits } = deps;
  const key = wrongCodesPerMobile(mobileHash);
  const reserved = await counters.hit(key, limits.maxWrongOtpPerMobilePerDay, DAY, now);
  if (!reserved.allowed) {
    await counters.release(key, DAY, now);
    throw lockedError(reserved.retryAfter);
  }
  if (!matches()) return reserved;
  await counters.release(key, DAY, now);
  return null;
}

/**
 * After a wrong code was counted against its holder (locked at the last try) and against the
 * mobile (`perMobile`, from compareWithinMobileBudget): throws the answer — the mobile's lock, the
 * holder's lock, or the tries left.
 */
export function refuseWrongCode(
  deps: Pick<FlowDeps, 'limits' | 'events'>,
  holder: Pick<CodeHolder, 'expiresAt'>,
  counted: { failedAttempts: number; locked: boolean },
  perMobile: RateDecision,
  now: number,
): never {
  const { limits, events } = deps;
  const mobileLocked = perMobile.count >= limits.maxWrongOtpPerMobilePerDay;
  events.otpFailed(mobileLocked || counted.locked);
  // The mobile's lock lasts until its day of wrong codes rolls over; a holder's until it expires.
  if (mobileLocked) throw lockedError(perMobile.retryAfter);
  if (counted.locked) throw lockedError(secondsUntilExpiry(holder, now));
  throw new ApiError('otp_invalid', 'That code is not right.', { attempts_left: limits.maxWrongOtpPerSession - counted.failedAttempts });
}
