import { ApiError } from '../../errors.ts';
import type { Step } from '../flow-context.ts';

/** Only a matched person's status is ever shared: "no one by that name on this number" is not "not vaccinated". */
export const requireMatch: Step = (ctx) => {
  if (ctx.get('session').nameMatched !== true) {
    throw new ApiError('name_not_matched', 'No one by that name is registered on this mobile: nothing can be shared.');
  }
};
