import { canonicalOrigin } from '../../clients/origins.ts';
import { ApiError } from '../../errors.ts';
import type { Step } from '../flow-context.ts';

const notAllowed = () => new ApiError('origin_not_allowed', 'This site is not allowed to ask for vaccination status.');

/**
 * The host page's origin, as the loader declared it, must be on the client's allowlist. A browser
 * also says where the request really comes from: the frame (this service's own origin) or the
 * declared page itself; any other `Origin` header is a page claiming to be someone else.
 */
export const checkClaimedOrigin: Step<{ origin?: string | undefined }> = (ctx) => {
  const claimed = ctx.input.origin;
  if (claimed === undefined) return;
  const origin = canonicalOrigin(claimed);
  if (!origin || !ctx.get('client').allowedOrigins.includes(origin)) throw notAllowed();
  const { caller } = ctx;
  if (!caller.apiClient && caller.origin !== null && caller.origin !== caller.serviceOrigin && caller.origin !== origin) {
    throw notAllowed();
  }
};

/** On a session's later steps, a browser request must come from the frame or the page the session was made for. */
export const checkCallerOrigin: Step = (ctx) => {
  const { caller } = ctx;
  if (caller.apiClient || caller.origin === null || caller.origin === caller.serviceOrigin) return;
  if (caller.origin !== ctx.get('session').origin) throw notAllowed();
};
