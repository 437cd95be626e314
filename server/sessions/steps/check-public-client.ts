import { ApiError } from '../../errors.ts';
import type { Step } from '../flow-context.ts';

/**
 * A keyless session is a "public client" session in the OAuth sense: anyone can send the client id
 * and an allowlisted origin, so the verifier must have opted in to them, and may not word the purpose.
 */
export const checkPublicClient: Step<{ purpose?: string | undefined }> = (ctx) => {
  if (ctx.caller.apiClient) return;
  if (!ctx.get('client').widgetSessions) {
    throw new ApiError('unauthorized', 'This verifier accepts only sessions its backend creates (with its API key).');
  }
  // The purpose is printed in an SMS sent in the verifier's name: only the verifier itself may word it.
  if (ctx.input.purpose !== undefined) {
    throw new ApiError('forbidden', 'purpose can be set only by the verifier’s backend (API key).', { fields: ['purpose'] });
  }
};
