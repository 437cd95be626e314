import crypto from 'node:crypto';
import { keyedHash, keyedHashMatches } from '../../store/secrets.ts';
import type { Step } from '../flow-context.ts';
import { checkCodeBy } from './check-code.ts';

const DIGEST = /^[0-9a-f]{64}$/;

/** sha256 of a code as lowercase hex: what a Co-WIN client sends instead of the code itself. */
export function codeDigest(otp: string): string {
  return crypto.createHash('sha256').update(otp, 'utf8').digest('hex');
}

/** How a code's digest is stored: keyed and bound to its session, like the code's own hash (another purpose, another label). */
export function hashCodeDigest(otpKey: Buffer, sessionId: string, digestHex: string): Buffer {
  return keyedHash(otpKey, 'otp-sha256', sessionId, digestHex);
}

/**
 * For clients that send sha256(code) (the Co-WIN API): at issue time, the only moment the code is
 * known, the code's digest is stored too, as a keyed hash. Checking it later is one HMAC and a
 * constant-time compare; nothing ever searches the 10^6 codes for one whose hash matches.
 */
export const storeCodeDigest: Step = (ctx) => {
  const code = ctx.get('code');
  const sessionId = ctx.has('session') ? ctx.get('session').id : ctx.get('newSession').id;
  const otpSha256Hash = hashCodeDigest(ctx.deps.secrets.otpKey, sessionId, codeDigest(code.otp));
  ctx.set('code', { ...code, issue: { ...code.issue, otpSha256Hash } });
};

/**
 * The digest (`otp`, 64 lowercase hex characters) must be the stored one: compared, like a code on
 * /v1, only within the mobile's day of wrong codes (reserved first, given back when right), and a
 * wrong digest counted and answered exactly as a wrong code — per session, per mobile, the same locks.
 */
const compareDigest = checkCodeBy<{ otp: string }>(
  (ctx, session) =>
    session.otpSha256Hash !== null && keyedHashMatches(ctx.deps.secrets.otpKey, session.otpSha256Hash, 'otp-sha256', session.id, ctx.input.otp),
);

export const checkCodeDigest: Step<{ otp: string }> = async (ctx) => {
  if (!DIGEST.test(ctx.input.otp)) throw new Error('session flow wiring: checkCodeDigest needs sha256(code) as 64 lowercase hex');
  await compareDigest(ctx);
};
