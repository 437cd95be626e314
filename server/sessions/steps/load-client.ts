import { ApiError } from '../../errors.ts';
import type { Step } from '../flow-context.ts';

/** The session's verifier (the API key's client when a backend calls). */
export const loadClient: Step = async (ctx) => {
  const client = ctx.caller.apiClient ?? (await ctx.deps.clients.get(ctx.get('session').clientId));
  if (!client) throw new ApiError('client_disabled', 'This verifier is not active.');
  ctx.set('client', client);
};
