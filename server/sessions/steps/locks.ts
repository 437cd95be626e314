import { ApiError } from '../../errors.ts';

export const DAY = 86_400;

/** The counter of wrong codes for one mobile, across all its sessions. */
export function wrongCodesPerMobile(mobileHash: Buffer): string {
  return `otpfail:mobile:${mobileHash.toString('base64url')}`;
}

/** A session-bound refusal (locked, out of sends) lasts until the session expires; a new verification may start at once. */
export function secondsUntilExpiry(session: { expiresAt: number }, now: number): number {
  return Math.max(1, Math.ceil((session.expiresAt - now) / 1000));
}

/** Too many wrong codes: for this session, or for the mobile in the last day. */
export function lockedError(retryAfter: number): ApiError {
  return new ApiError('otp_locked', 'Too many wrong codes: this verification is locked.', { retry_after: retryAfter });
}
