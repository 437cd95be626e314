import { NAME_TRIES_PER_SESSION } from '../../../protocol/api.ts';
import { ApiError } from '../../errors.ts';
import type { Step } from '../flow-context.ts';

/** A name can be corrected while it matches no one, and only NAME_TRIES_PER_SESSION times (no new SMS). */
export const requireCorrectableName: Step = (ctx) => {
  const session = ctx.get('session');
  if (session.nameMatched === true) throw new ApiError('invalid_state', 'The name already matches someone on this mobile: nothing to correct.');
  if (session.nameTries >= NAME_TRIES_PER_SESSION) {
    throw new ApiError('name_tries_exhausted', `No more names can be tried in this verification (${NAME_TRIES_PER_SESSION} at most): end it and start again.`);
  }
};
