import { ApiError } from '../../errors.ts';
import { otpMatches } from '../../otp/otp.ts';
import type { Session } from '../session-store.ts';
import { type FlowContext, named, type Step } from '../flow-context.ts';
import { compareWithinMobileBudget, lockedError, refuseWrongCode, secondsUntilExpiry } from './locks.ts';

/**
 * A step that checks what the caller sent against the session's code with `matches`. The compare
 * happens only within the mobile's day of wrong codes (reserved first, given back when right), so
 * guessing across many sessions, even all at once, gains nothing. A wrong one also counts against
 * the session (locked at the last try).
 */
export function checkCodeBy<Input>(matches: (ctx: FlowContext<Input>, session: Session) => boolean): Step<Input> {
  return named('checkCode', async (ctx) => {
    const session = ctx.get('session');
    const { sessions, limits } = ctx.deps;
    if (session.mobileHash === null) throw new Error('session flow wiring: a code is checked only once it was sent to a mobile');
    const perMobile = await compareWithinMobileBudget(ctx.deps, session.mobileHash, ctx.now, () => matches(ctx, session));
    if (perMobile === null) return;
    const counted = await sessions.recordWrongOtp(session.id, limits.maxWrongOtpPerSession);
    if (counted === null) {
      // A racing request moved the session on since it was read: locked it, or checked the right code.
      const now = await sessions.get(session.id);
      if (now?.state === 'locked') throw lockedError(secondsUntilExpiry(session, ctx.now));
      throw new ApiError('invalid_state', 'This code was already checked.');
    }
    refuseWrongCode(ctx.deps, session, { failedAttempts: counted.failedAttempts, locked: counted.state === 'locked' }, perMobile, ctx.now);
  });
}

/** The code must be the one stored. */
export const checkCode: Step<{ otp: string }> = checkCodeBy(
  (ctx, session) => session.otpHash !== null && otpMatches(ctx.deps.secrets.otpKey, session.id, ctx.input.otp, session.otpHash),
);
