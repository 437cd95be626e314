import type { Step } from '../flow-context.ts';
import { refuseSend } from './locks.ts';

/** A session sends a handful of codes, each at least `resendAfterSeconds` after the last. */
export const checkSends: Step = (ctx) => {
  refuseSend(ctx.get('session'), ctx.deps.limits, ctx.now);
};
