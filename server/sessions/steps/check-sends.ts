import { ApiError } from '../../errors.ts';
import type { Step } from '../flow-context.ts';
import { secondsUntilExpiry } from './locks.ts';

/** A session sends a handful of codes, each at least `resendAfterSeconds` after the last. */
export const checkSends: Step = (ctx) => {
  const session = ctx.get('session');
  const { limits } = ctx.deps;
  if (session.sends >= limits.maxSendsPerSession) {
    throw new ApiError('send_limit_reached', 'No more codes can be sent in this verification. Start again later.', {
      retry_after: secondsUntilExpiry(session, ctx.now),
    });
  }
  if (session.otpSentAt === null) return;
  const wait = Math.ceil((session.otpSentAt + limits.resendAfterSeconds * 1000 - ctx.now) / 1000);
  if (wait > 0) throw new ApiError('resend_too_soon', `Wait ${wait} s before asking for a new code.`, { retry_after: wait });
};
