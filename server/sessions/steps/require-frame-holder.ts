import { ApiError } from '../../errors.ts';
import type { Step } from '../flow-context.ts';

/**
 * Only the code's holder in the frame: no API key, and a consent ticket (checked by `checkTicket`
 * before this) that went to a keyless caller. A host backend that verified the code with its key
 * holds a ticket too, but may not try names on the citizen's mobile or read who is on it.
 */
export const requireFrameHolder: Step = (ctx) => {
  if (ctx.caller.apiClient || ctx.get('session').ticketHolder !== 'frame') {
    throw new ApiError('forbidden', 'Only the person who entered the code, in the verification window, can do this.');
  }
};
