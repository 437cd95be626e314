import { ApiError } from '../../errors.ts';
import type { Step } from '../flow-context.ts';

/** Only the verifier's backend reads a session's state and token. */
export const requireApiKey: Step = (ctx) => {
  const client = ctx.caller.apiClient;
  if (!client) throw new ApiError('unauthorized', 'An API key is required to read a session.');
  ctx.set('client', client);
};
