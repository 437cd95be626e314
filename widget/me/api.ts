// The /me/ page's client for its API: the frame's call (same origin; the sign-in cookie goes along).
import type {
  MeDisclosuresResponse,
  MeOtpRequest,
  MeOtpResponse,
  MeSignOutResponse,
  MeVerifyRequest,
  MeVerifyResponse,
} from '../../protocol/api.ts';
import { ApiFailure, call } from '../frame/api.ts';

export const meApi = {
  sendOtp: (body: MeOtpRequest) => call<MeOtpResponse>('me/otp', body),
  verify: (body: MeVerifyRequest) => call<MeVerifyResponse>('me/otp/verify', body),
  disclosures: (page?: { person: string; before: string }) =>
    call<MeDisclosuresResponse>(`me/disclosures${page ? `?${new URLSearchParams(page)}` : ''}`),
  signOut: () => call<MeSignOutResponse>('me/sign-out', {}),
};

/** What the page can tell the citizen about a failed call. */
export type MeFailure =
  | 'otp_invalid'
  | 'otp_expired'
  | 'otp_locked'
  | 'rate_limited'
  | 'resend_too_soon'
  | 'send_limit_reached'
  | 'ended'
  | 'unauthorized'
  | 'network_error'
  | 'other';

const SAME: ReadonlySet<string> = new Set(['otp_invalid', 'otp_expired', 'otp_locked', 'rate_limited', 'resend_too_soon', 'send_limit_reached', 'unauthorized', 'network_error']);

/** A failure as the page words it: a sign-in that is gone (unknown, expired, already used) is one case. */
export function failureOf(err: unknown): { failure: MeFailure; attemptsLeft?: number | undefined; retryAfter?: number | undefined } {
  if (!(err instanceof ApiFailure)) return { failure: 'other' };
  const failure: MeFailure = SAME.has(err.code)
    ? (err.code as MeFailure)
    : ['session_not_found', 'session_expired', 'invalid_state'].includes(err.code)
      ? 'ended'
      : 'other';
  return { failure, attemptsLeft: err.attemptsLeft, retryAfter: err.retryAfter };
}
