import { ApiError } from '../../errors.ts';
import type { Step } from '../flow-context.ts';

/** A disabled verifier can neither start nor continue a verification. */
export const requireActiveClient: Step = (ctx) => {
  if (ctx.get('client').status !== 'active') throw new ApiError('client_disabled', 'This verifier is not active.');
};
