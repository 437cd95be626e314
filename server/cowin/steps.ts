// The steps where the Co-WIN-compatible API differs from /v1: its answers, and its status read.
// Every other step of its endpoints is /v1's own (server/cowin/endpoints.ts).
import crypto from 'node:crypto';
import { ApiError } from '../errors.ts';
import type { Step } from '../sessions/flow-context.ts';
import { SESSION_ID_PATTERN } from '../sessions/steps/find-session.ts';

/** generateOTP's answer: `{ txnId }`, the session's id — the same for a registered and an unregistered mobile. */
export const respondTxnId: Step = (ctx) => {
  ctx.answer = { txnId: ctx.get('newSession').id };
};

/** confirmOTP's answer: `{ token }`, after `recordDisclosure` wrote the `allow` record with it. */
export const respondToken: Step = (ctx) => {
  ctx.answer = { token: ctx.get('token').token };
};

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.([A-Za-z0-9_-]+)\.[A-Za-z0-9_-]+$/;
const MAX_TOKEN_CHARS = 4096;

const unauthenticated = () => new ApiError('unauthorized', 'Unauthenticated access: the token is invalid, expired, or not yours.');

/** The claims the bearer says it has; trusted only once the bearer is found to be the token stored for its session. */
function claimedTxnAndExp(token: string): { txn: string; exp: number } | null {
  const payload = COMPACT_JWS.exec(token)?.[1];
  if (payload === undefined) return null;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { txn?: unknown; exp?: unknown };
    return typeof claims.txn === 'string' && typeof claims.exp === 'number' ? { txn: claims.txn, exp: claims.exp } : null;
  } catch {
    return null;
  }
}

/**
 * status's bearer must be the very token this service issued to the calling verifier (its API key)
 * for a completed session, byte for byte, and unexpired. A token exists only after its `allow`
 * record (record-decision.ts), so reading it again here discloses nothing that was not recorded.
 * Equality with the stored token is what authenticates it: no other spelling, no other verifier's.
 */
export const checkStatusBearer: Step<{ bearer: string | null }> = async (ctx) => {
  const { bearer } = ctx.input;
  if (bearer === null || bearer.length > MAX_TOKEN_CHARS) throw unauthenticated();
  const claimed = claimedTxnAndExp(bearer);
  if (!claimed || !SESSION_ID_PATTERN.test(claimed.txn)) throw unauthenticated();
  const session = await ctx.deps.sessions.get(claimed.txn);
  const client = ctx.get('client');
  if (!session || session.clientId !== client.id || session.state !== 'completed' || session.token === null) throw unauthenticated();
  const stored = Buffer.from(session.token, 'utf8');
  const given = Buffer.from(bearer, 'utf8');
  if (stored.length !== given.length || !crypto.timingSafeEqual(stored, given)) throw unauthenticated();
  if (claimed.exp * 1000 <= ctx.now) throw unauthenticated();
  ctx.set('session', session);
};

/** status's answer: the status the token carries, and the token (verifiable offline with the JWKS). */
export const respondStatus: Step = (ctx) => {
  const session = ctx.get('session');
  ctx.answer = { vaccination_status: session.vaccinationStatus ?? 0, token: session.token! };
};
