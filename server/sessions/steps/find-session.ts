import { ApiError } from '../../errors.ts';
import type { Step } from '../flow-context.ts';

export const SESSION_ID_PATTERN = /^ses_[A-Za-z0-9_-]{24}$/;

/** The session in the path, if the caller may see it: another client's session looks exactly like a missing one. */
export const findSession: Step = async (ctx) => {
  const session = SESSION_ID_PATTERN.test(ctx.sessionId) ? await ctx.deps.sessions.get(ctx.sessionId) : null;
  const { apiClient } = ctx.caller;
  if (!session || (apiClient && apiClient.id !== session.clientId)) {
    throw new ApiError('session_not_found', 'No such verification session.');
  }
  ctx.set('session', session);
};
