import type { Step } from '../flow-context.ts';
import { DAY, lockedError, wrongCodesPerMobile } from './locks.ts';

/** A mobile with too many wrong codes in the last day gets no code and no check, in any session. */
export const refuseLockedMobile: Step = async (ctx) => {
  const mobileHash = ctx.has('person') ? ctx.get('person').mobileHash : ctx.get('session').mobileHash;
  if (mobileHash === null) return;
  const { counters, limits } = ctx.deps;
  const fails = await counters.peek(wrongCodesPerMobile(mobileHash), limits.maxWrongOtpPerMobilePerDay, DAY);
  if (!fails.allowed) throw lockedError(fails.retryAfter);
};
