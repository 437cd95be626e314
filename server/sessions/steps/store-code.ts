import { ApiError } from '../../errors.ts';
import type { Step } from '../flow-context.ts';

/** Stores a (re)sent code: compare-and-set on the send count and the person, so racing sends cannot both land. */
export const storeCode: Step = async (ctx) => {
  const session = ctx.get('session');
  if (!(await ctx.deps.sessions.recordOtpSent(session.id, session.sends, ctx.get('code').issue))) {
    throw new ApiError('invalid_state', 'Another request changed this verification; try again.');
  }
};
