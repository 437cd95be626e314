import { ApiError } from '../../errors.ts';
import type { Step } from '../flow-context.ts';

/** The verifier asking: the API key's client, or (the frame, keyless) the client named in the body. */
export const resolveClient: Step<{ client_id?: string | undefined; origin?: string | undefined }> = async (ctx) => {
  const { apiClient } = ctx.caller;
  const { client_id: clientId, origin } = ctx.input;
  if (apiClient) {
    if (clientId !== undefined && clientId !== apiClient.id) {
      throw new ApiError('invalid_request', 'client_id does not match the API key.', { fields: ['client_id'] });
    }
    ctx.set('client', apiClient);
    return;
  }
  if (clientId === undefined || origin === undefined) throw new ApiError('unauthorized', 'Send an API key, or client_id and origin (widget).');
  const client = await ctx.deps.clients.get(clientId);
  if (!client) throw new ApiError('unauthorized', 'Unknown client_id.');
  ctx.set('client', client);
};
