// The HTTP API's shared vocabulary: imported by the server, the widget frame and the host SDK,
// so that a renamed field or error code breaks the build instead of a citizen's flow.

import type { z } from 'zod';
import type * as S from './schemas.ts';

/** 0 = no dose recorded for the matched person, 1 = fewer doses than the primary schedule, 2 = complete. */
export type VaccinationStatus = z.infer<typeof S.vaccinationStatus>;

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
  name_fixed_by_host: 409,
  name_tries_exhausted: 409,
  session_expired: 410,
  otp_expired: 410,
  payload_too_large: 413,
  unsupported_media_type: 415,
  otp_locked: 429,
  resend_too_soon: 429,
  send_limit_reached: 429,
  rate_limited: 429,
  internal_error: 500,
  /** A store (Redis, PostgreSQL) is away for a moment: nothing was written; retry after `retry_after`. */
  service_unavailable: 503,
} as const;

export type ApiErrorCode = keyof typeof API_ERRORS;

// The bodies' types are inferred from their zod schemas (protocol/schemas.ts), the one source of
// truth; a type-only import, so the frame's bundle carries no zod.
export type ApiErrorBody = z.infer<typeof S.apiErrorBody>;
export type PersonFixedBy = z.infer<typeof S.personFixedBy>;
export type SessionState = z.infer<typeof S.sessionState>;
/** Request bodies as the caller sends them (the service normalises mobile numbers). */
export type CreateSessionRequest = z.input<typeof S.createSessionRequest>;
export type SendOtpRequest = z.input<typeof S.sendOtpRequest>;
export type VerifyOtpRequest = z.input<typeof S.verifyOtpRequest>;
export type ConsentRequest = z.input<typeof S.consentRequest>;
export type PublicClient = z.infer<typeof S.publicClient>;
export type CreateSessionResponse = z.infer<typeof S.createSessionResponse>;
export type SendOtpResponse = z.infer<typeof S.sendOtpResponse>;
/** Never a status without `consent: true` (see the schema's description). */
export type VerifyOtpResponse = z.infer<typeof S.verifyOtpResponse>;
export type ConsentResponse = z.infer<typeof S.consentResponse>;
export type CorrectNameRequest = z.input<typeof S.correctNameRequest>;
/** Whether the corrected name matches someone on the mobile; never a status. */
export type CorrectNameResponse = z.infer<typeof S.correctNameResponse>;
export type MembersRequest = z.input<typeof S.membersRequest>;
/** The names registered on the session's mobile, for the code's holder in the frame; nothing else. */
export type MembersResponse = z.infer<typeof S.membersResponse>;
/** What the frame may read of a session it was handed: who asks and why, nothing about the person. */
export type SessionContext = z.infer<typeof S.sessionContext>;
/** The verifier's view of its own session; the status and token once the citizen allowed. */
export type SessionView = z.infer<typeof S.sessionView>;
/** What a client's webhook receives (Standard Webhooks' shape); the status only inside the token. */
export type WebhookEvent = z.infer<typeof S.webhookEvent>;
/** The citizen's own history (`/me/`): sign-in by a code, then the disclosures about the people on the mobile. */
export type MeOtpRequest = z.input<typeof S.meOtpRequest>;
export type MeOtpResponse = z.infer<typeof S.meOtpResponse>;
export type MeVerifyRequest = z.input<typeof S.meVerifyRequest>;
export type MeVerifyResponse = z.infer<typeof S.meVerifyResponse>;
export type MeDisclosure = z.infer<typeof S.meDisclosure>;
export type MePerson = z.infer<typeof S.mePerson>;
export type MeDisclosuresResponse = z.infer<typeof S.meDisclosuresResponse>;
export type MeSignOutResponse = z.infer<typeof S.meSignOutResponse>;

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

/** Names the code's holder may try on one session after a name that matched no one (a pick from the list counts). */
export const NAME_TRIES_PER_SESSION = 3;

/** The most people one mobile can have registered (server/registry/beneficiaries-table.ts): the longest list of names. */
export const MAX_NAMES_PER_MOBILE = 6;
