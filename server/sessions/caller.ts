import type { Client } from '../clients/clients.ts';

/** Who is calling: an authenticated host backend (API key), or the frame (holder of the session id). */
export interface Caller {
  apiClient: Client | null;
  /** Keyed hash of the caller's address (IPv4, or the IPv6 /64): what per-address quotas count. */
  addressKey: string;
  /** The request's `Origin` header, when a browser sent one. */
  origin: string | null;
  /** This service's own origin as the request addressed it: the origin of the frame page. */
  serviceOrigin: string;
}
