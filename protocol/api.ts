// The HTTP API's shared vocabulary: imported by the server, the widget frame and the host SDK,
// so that a renamed field or error code breaks the build instead of a citizen's flow.

/** 0 = no dose recorded (or no name match), 1 = fewer doses than the primary schedule, 2 = complete. */
export type VaccinationStatus = 0 | 1 | 2;

export const VACCINATION_STATUSES = {
  0: 'not vaccinated',
  1: 'partially vaccinated',
  2: 'fully vaccinated',
} as const satisfies Record<VaccinationStatus, string>;

/** Media type (`typ` header) of a KYC-VS status token. */
export const STATUS_TOKEN_TYPE = 'kycvs-status+jwt';

/** Every error code the API can answer with, and its HTTP status. Codes are stable: clients switch on them. */
export const API_ERRORS = {
  invalid_request: 400,
  invalid_json: 400,
  otp_invalid: 400,
  unauthorized: 401,
  forbidden: 403,
  origin_not_allowed: 403,
  client_disabled: 403,
  not_found: 404,
  session_not_found: 404,
  method_not_allowed: 405,
  invalid_state: 409,
  otp_not_sent: 409,
  person_mismatch: 409,
  name_not_matched: 409,
  session_expired: 410,
  otp_expired: 410,
  payload_too_large: 413,
  unsupported_media_type: 415,
  otp_locked: 429,
  resend_too_soon: 429,
  send_limit_reached: 429,
  rate_limited: 429,
  internal_error: 500,
} as const;

export type ApiErrorCode = keyof typeof API_ERRORS;

export interface ApiErrorBody {
  error: ApiErrorCode;
  message: string;
  /** otp_invalid: wrong tries left before the session locks. */
  attempts_left?: number;
  /**
   * Seconds to wait (also in the Retry-After header), on every 429: rate_limited, resend_too_soon,
   * otp_locked (a mobile locked for its rolling day of wrong codes: until it frees), and a locked
   * session or one out of sends (until the session expires: a new verification may start at once).
   */
  retry_after?: number;
  /** invalid_request: which fields were wrong, never their values. */
  fields?: string[];
}

export type PersonFixedBy = 'backend' | 'citizen';

export type SessionState = 'created' | 'otp_sent' | 'verified' | 'completed' | 'denied' | 'locked' | 'expired';

export interface CreateSessionRequest {
  /** Widget mode (no API key): the verifier's client id. */
  client_id?: string;
  /** The host page's origin: required in widget mode, optional with an API key; must be allowlisted. */
  origin?: string;
  nonce?: string;
  purpose?: string;
  /** Server-to-server: give both to send the OTP in the same call. */
  mobile?: string;
  name?: string;
}

export interface PublicClient {
  id: string;
  name: string;
  purpose: string;
}

export interface CreateSessionResponse {
  session_id: string;
  expires_at: string;
  client: PublicClient;
  /** Present when mobile and name were given: the OTP was sent. */
  otp?: SendOtpResponse;
}

export interface SendOtpRequest {
  mobile: string;
  name: string;
}

export interface SendOtpResponse {
  /** Seconds the OTP stays valid. */
  expires_in: number;
  /** Seconds before a resend is accepted. */
  resend_after: number;
  /** Sends left in this session (including resends). */
  sends_left: number;
}

export interface VerifyOtpRequest {
  otp: string;
  /** Server-to-server only (API key): entering the OTP is the consent; the token comes back at once. */
  consent?: boolean;
}

/**
 * The answer to a correct code. It never carries the status: a status leaves the service only in
 * a token, after an `allow` written to the audit in the same transaction.
 */
export interface VerifyOtpResponse {
  /**
   * Without `consent: true`: proof that the caller is the one who entered the OTP, required by
   * `/consent`. A host that knows the session id but not the code cannot answer for the citizen.
   */
  consent_ticket?: string;
  /**
   * Only to a caller without an API key (the frame, where the code's holder typed the name):
   * whether the name matches someone registered on the mobile. A name that matches no one
   * can be refused or corrected, never shared as "not vaccinated".
   */
  name_matched?: boolean;
  /** With `consent: true` (host backend, API key): the signed status token, and the status it carries. */
  token?: string;
  vaccination_status?: VaccinationStatus;
}

export interface ConsentRequest {
  decision: 'allow' | 'deny';
  consent_ticket: string;
}

export type ConsentResponse =
  | { token: string; vaccination_status: VaccinationStatus }
  | { denied: true };

/**
 * What the widget may read of a session it was handed (`GET /v1/sessions/:id/context`, the
 * session id is the credential): who asks and why, so the frame shows what the SMS will say
 * and can refuse a session that belongs to another verifier. Nothing about the person.
 */
export interface SessionContext {
  session_id: string;
  client: PublicClient;
  state: SessionState;
  expires_at: string;
}

export interface SessionView {
  session_id: string;
  client_id: string;
  state: SessionState;
  purpose: string;
  nonce: string | null;
  created_at: string;
  expires_at: string;
  /**
   * Who fixed the person this session is about: the host backend (mobile and name given at
   * creation), the citizen (by the first code), or nobody yet. Never who the person is.
   */
  person_fixed_by: PersonFixedBy | null;
  /** Present once the citizen allowed sharing. */
  vaccination_status?: VaccinationStatus;
  token?: string;
}

/** Claims of a status token (besides the registered ones jose checks). */
export interface StatusTokenClaims {
  iss: string;
  aud: string;
  sub: string;
  iat: number;
  exp: number;
  jti: string;
  txn: string;
  nonce?: string;
  vaccination_status: VaccinationStatus;
}

export const OTP_LENGTH = 6;
