import { ApiError } from '../../errors.ts';
import type { Step } from '../flow-context.ts';

/**
 * The citizen may correct the name only if the citizen gave it. When the host backend fixed mobile
 * and name at creation, the session is about that person: switching to someone else on the mobile
 * would answer a question the verifier did not ask.
 */
export const requireCitizenFixed: Step = (ctx) => {
  if (ctx.get('session').personFixedBy !== 'citizen') {
    throw new ApiError('name_fixed_by_host', 'The website gave this name itself: it cannot be changed here. End the check.');
  }
};
