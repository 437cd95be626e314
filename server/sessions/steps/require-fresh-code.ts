import { ApiError } from '../../errors.ts';
import type { Step } from '../flow-context.ts';

/** A code is good for `otpTtlSeconds` after it was sent. */
export const requireFreshCode: Step = (ctx) => {
  const expiresAt = ctx.get('session').otpExpiresAt;
  if (expiresAt === null || ctx.now > expiresAt) throw new ApiError('otp_expired', 'This code has expired: ask for a new one.');
};
