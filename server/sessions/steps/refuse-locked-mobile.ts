import type { Step } from '../flow-context.ts';
import { refuseIfMobileLocked } from './locks.ts';

/**
 * A mobile with too many wrong codes in the last day gets no code and no check, in any session: the
 * early answer. The code check holds the limit itself, atomically (checkCode reserves a try first).
 */
export const refuseLockedMobile: Step = async (ctx) => {
  const mobileHash = ctx.has('person') ? ctx.get('person').mobileHash : ctx.get('session').mobileHash;
  if (mobileHash === null) return;
  await refuseIfMobileLocked(ctx.deps, mobileHash);
};
