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
 * Compares a code only within the mobile's day of wrong codes: `hitUnless` checks for room,
 * compares and counts a wrong code as one atomic step (one transaction in SQLite; a reservation
 * given back in Redis), so concurrent tries cannot all pass a check of the counter before any is
 * counted. No try left: the mobile's lock, nothing compared. The right code is not counted: a
 * citizen's own codes never use up the budget. Returns null for the right code, else the mobile's
 * count with this wrong try in it.
 */
export async function compareWithinMobileBudget(
  deps: Pick<FlowDeps, 'counters' | 'limits'>,
  mobileHash: Buffer,
  now: number,
  matches: () => boolean,
): Promise<RateDecision | null> {
  const { counters, limits } = deps;
  const counted = await counters.hitUnless(wrongCodesPerMobile(mobileHash), limits.maxWrongOtpPerMobilePerDay, DAY, matches, now);
  if (counted !== null && !counted.allowed) throw lockedError(counted.retryAfter);
  return counted;
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
