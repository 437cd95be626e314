import type { Request } from 'express';
import type { Client, ClientStore } from '../clients/clients.ts';
import { ApiError } from '../errors.ts';
import type { Caller } from '../sessions/session-service.ts';

/**
 * The caller of a request: a host backend when it presents `Authorization: Bearer <api key>`
 * (a wrong key is a 401, never a silent fall-back to widget mode), else the widget.
 */
export async function callerOf(req: Request, clients: ClientStore): Promise<Caller> {
  const header = req.get('authorization');
  let apiClient: Client | null = null;
  if (header !== undefined) {
    const match = /^Bearer ([\x21-\x7e]{1,200})$/.exec(header);
    apiClient = match ? await clients.authenticate(match[1]!) : null;
    if (!apiClient) throw new ApiError('unauthorized', 'The API key is missing, malformed, revoked or unknown.');
  }
  return { apiClient, ip: req.ip ?? 'unknown' };
}
