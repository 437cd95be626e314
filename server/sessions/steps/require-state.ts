import type { SessionState } from '../../../protocol/api.ts';
import { ApiError } from '../../errors.ts';
import { named, type Step } from '../flow-context.ts';
import { allows, type TransitionName } from '../transitions.ts';
import { lockedError, secondsUntilExpiry } from './locks.ts';

/** Why a session in `state` cannot take the transition, in the words a caller can act on. */
function refusal(transition: TransitionName, state: SessionState, secondsLeft: number): ApiError {
  switch (state) {
    // A locked session stays locked until it expires; a new verification may start at once.
    case 'locked':
      return lockedError(secondsLeft);
    case 'created':
      return allows(transition, 'otp_sent')
        ? new ApiError('otp_not_sent', 'No code was sent yet: ask for one first.')
        : new ApiError('invalid_state', 'The OTP has not been verified yet.');
    case 'otp_sent':
      return new ApiError('invalid_state', 'The OTP has not been verified yet.');
    case 'verified':
      return new ApiError('invalid_state', 'The code was already checked: this verification has moved past the OTP step.');
    case 'completed':
    case 'denied':
      return new ApiError('invalid_state', 'The citizen already decided in this verification.');
    case 'expired':
      return new ApiError('session_expired', 'This verification has expired: start again.');
  }
}

/** The session must be in a state the transition starts from (the transitions table says which). */
export function requireState(transition: TransitionName): Step {
  return named('requireState', (ctx) => {
    const session = ctx.get('session');
    if (!allows(transition, session.state)) {
      throw refusal(transition, session.state, secondsUntilExpiry(session, ctx.now));
    }
  });
}
