import { ApiError } from '../../errors.ts';
import { otpMatches } from '../../otp/otp.ts';
import type { Step } from '../flow-context.ts';
import { lockedError, refuseWrongCode, secondsUntilExpiry } from './locks.ts';

/**
 * The code must be the one stored. A wrong one counts against the session (locked at the last try)
 * and against the mobile for the day, so guessing across many sessions gains nothing.
 */
export const checkCode: Step<{ otp: string }> = async (ctx) => {
  const session = ctx.get('session');
  const { secrets, sessions, limits } = ctx.deps;
  if (session.otpHash !== null && otpMatches(secrets.otpKey, session.id, ctx.input.otp, session.otpHash)) return;
  const counted = await sessions.recordWrongOtp(session.id, limits.maxWrongOtpPerSession);
  if (counted === null) {
    // A racing request moved the session on since it was read: locked it, or checked the right code.
    const now = await sessions.get(session.id);
    if (now?.state === 'locked') throw lockedError(secondsUntilExpiry(session, ctx.now));
    throw new ApiError('invalid_state', 'This code was already checked.');
  }
  const holder = { expiresAt: session.expiresAt, mobileHash: session.mobileHash! };
  await refuseWrongCode(ctx.deps, holder, { failedAttempts: counted.failedAttempts, locked: counted.state === 'locked' }, ctx.now);
};
