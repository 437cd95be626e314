import type { Step } from '../flow-context.ts';

/** Stores a new session; given the person (server-to-server), with its first code, in one write. */
export const storeSession: Step = async (ctx) => {
  const session = ctx.get('newSession');
  if (ctx.has('code')) await ctx.deps.sessions.createWithOtp(session, ctx.get('code').issue);
  else await ctx.deps.sessions.create(session);
};
