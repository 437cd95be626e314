import type { Request } from 'express';
import type { Client, ClientStore } from '../clients/clients.ts';
import { ApiError } from '../errors.ts';
import { addressKey } from '../quotas/address-key.ts';
import type { Caller } from '../sessions/caller.ts';

/**
 * Reads the caller of a request: a host backend when it presents `Authorization: Bearer <api key>`
 * (a wrong key is a 401, never a silent fall-back to widget mode), else the frame. The address is
 * kept only as a keyed hash; the `Origin` header, when a browser sent one, for the origin checks.
 */
export function callerReader(clients: ClientStore, addressSecret: Buffer): (req: Request) => Promise<Caller> {
  return async (req) => {
    const header = req.get('authorization');
    let apiClient: Client | null = null;
    if (header !== undefined) {
      const match = /^Bearer ([\x21-\x7e]{1,200})$/.exec(header);
      apiClient = match ? await clients.authenticate(match[1]!) : null;
      if (!apiClient) throw new ApiError('unauthorized', 'The API key is missing, malformed, revoked or unknown.');
    }
    return callerFor(req, apiClient, addressSecret);
  };
}

/** The caller of `req`, once its API key (if any) is known: its keyed address and the origins the checks compare. */
export function callerFor(req: Request, apiClient: Client | null, addressSecret: Buffer): Caller {
  return {
    apiClient,
    addressKey: addressKey(req.ip ?? 'unknown', addressSecret),
    origin: req.get('origin') ?? null,
    serviceOrigin: `${req.protocol}://${req.get('host') ?? ''}`,
  };
}
