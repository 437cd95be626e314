import type { Step } from '../flow-context.ts';

/**
 * A session made by a host backend (API key) gets a verification link, which the host may send to
 * the person (SMS, email) when it has no page to embed the frame in. A keyless session was made by
 * a page already showing the frame: it gets none, so a link never outlives the page that asked.
 */
export const issueLink: Step = async (ctx) => {
  if (!ctx.caller.apiClient) return;
  ctx.set('verificationUrl', await ctx.deps.links.create(ctx.get('newSession').id));
};
