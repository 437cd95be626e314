import { errorHandlerAnswering } from '../http/errors.ts';
import type { ApiErrorCode } from '../../protocol/api.ts';
import { ApiError } from '../errors.ts';

interface CowinError {
  /** The HTTP status, as Co-WIN would answer (400 for what the caller sent, 401 unauthenticated, 429 slow down). */
  status: number;
  errorCode: string;
  /** Co-WIN's own text where its clients may compare it; otherwise our message is the `error`. */
  error?: string;
}

/**
 * Our errors in Co-WIN's words, in one table. Co-WIN's own codes where the public record shows them
 * (USRAUT0014 "Invalid OTP", USRAUT0024 "Beneficiary Not Registered"); elsewhere codes of ours in the
 * same style. Every ApiError code has a row, so a new one cannot reach a Co-WIN client unmapped.
 * Co-WIN's "Your account does not exist" (USRAUT0015, on generateOTP) is deliberately never answered:
 * an unregistered mobile is answered like a registered one.
 */
export const COWIN_ERRORS = {
  invalid_request: { status: 400, errorCode: 'KYCVS0001' },
  invalid_json: { status: 400, errorCode: 'KYCVS0002' },
  payload_too_large: { status: 413, errorCode: 'KYCVS0003' },
  unsupported_media_type: { status: 415, errorCode: 'KYCVS0004' },
  not_found: { status: 404, errorCode: 'KYCVS0005' },
  method_not_allowed: { status: 405, errorCode: 'KYCVS0006' },
  unauthorized: { status: 401, errorCode: 'KYCVS0101' },
  forbidden: { status: 403, errorCode: 'KYCVS0102' },
  origin_not_allowed: { status: 403, errorCode: 'KYCVS0103' },
  client_disabled: { status: 403, errorCode: 'KYCVS0104' },
  // An unknown txnId and another verifier's look the same.
  session_not_found: { status: 400, errorCode: 'KYCVS0201', error: 'Invalid txnId' },
  session_expired: { status: 400, errorCode: 'KYCVS0202', error: 'Transaction expired: generate a new OTP' },
  otp_expired: { status: 400, errorCode: 'KYCVS0203', error: 'OTP expired: generate a new OTP' },
  invalid_state: { status: 409, errorCode: 'KYCVS0204' },
  otp_not_sent: { status: 409, errorCode: 'KYCVS0205' },
  person_mismatch: { status: 409, errorCode: 'KYCVS0206' },
  // Name correction is the frame's alone; a Co-WIN client never reaches these, but each code has its row.
  name_fixed_by_host: { status: 409, errorCode: 'KYCVS0207' },
  name_tries_exhausted: { status: 409, errorCode: 'KYCVS0208' },
  otp_invalid: { status: 400, errorCode: 'USRAUT0014', error: 'Invalid OTP' },
  // The right code, but no one by that name on the mobile: never shared as "not vaccinated" (status 0).
  name_not_matched: { status: 400, errorCode: 'USRAUT0024', error: 'Beneficiary Not Registered' },
  otp_locked: { status: 429, errorCode: 'KYCVS0301' },
  resend_too_soon: { status: 429, errorCode: 'KYCVS0302' },
  send_limit_reached: { status: 429, errorCode: 'KYCVS0303' },
  rate_limited: { status: 429, errorCode: 'KYCVS0304' },
  internal_error: { status: 500, errorCode: 'KYCVS0500' },
  service_unavailable: { status: 503, errorCode: 'KYCVS0503' },
} as const satisfies Record<ApiErrorCode, CowinError>;

export interface CowinErrorBody {
  errorCode: string;
  error: string;
  attempts_left?: number;
  retry_after?: number;
  fields?: string[];
}

export function toCowinError(err: ApiError): { status: number; body: CowinErrorBody } {
  const row: CowinError = COWIN_ERRORS[err.code];
  return { status: row.status, body: { errorCode: row.errorCode, error: row.error ?? err.message, ...err.details } };
}

/** The Co-WIN routes' last handler: every error in Co-WIN's shape; nothing internal reaches the client. */
export const cowinErrorHandler = errorHandlerAnswering(toCowinError);
