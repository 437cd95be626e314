import { ApiError } from '../../errors.ts';
import type { Step } from '../flow-context.ts';
import { isExpired } from '../session-store.ts';

/** Nothing moves an expired session forward. */
export const refuseExpired: Step = (ctx) => {
  if (isExpired(ctx.get('session'), ctx.now)) throw new ApiError('session_expired', 'This verification has expired: start again.');
};
