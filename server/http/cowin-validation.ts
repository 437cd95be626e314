// The Co-WIN-compatible API (`/api/v3/vaccination/…`, server/http/cowin-routes.ts): its request and
// answer bodies and headers, as Co-WIN's KYC-VS v3 clients send and read them. Exported so the
// OpenAPI document can describe these routes from the same schemas the routes parse with.
import { z } from 'zod';
import type { Operation } from './openapi.ts';
import { mobile, name } from './validation.ts';

const mobileNumber = mobile.describe(
  'The mobile number registered with the vaccination registry (10 digits; +91 or 0 prefixes and spaces allowed).',
);

const fullName = name.describe('The name as registered (matching ignores case, spacing, honorifics and word order).');

/** Co-WIN clients may send an e-mail address; it is accepted and ignored (never stored, never used). */
const ignoredEmail = z.string().max(254).optional().describe('Accepted for compatibility with Co-WIN clients; ignored.');

/** `POST /api/v3/vaccination/generateOTP` (header `x-api-key`). */
export const cowinGenerateOtpBody = z
  .strictObject({ mobile_number: mobileNumber, full_name: fullName, email_id: ignoredEmail, email: ignoredEmail })
  .describe('Ask for a code to be texted to the mobile. Answered alike whether or not the mobile is registered.');

/** `POST /api/v3/vaccination/confirmOTP` (header `x-api-key`). */
export const cowinConfirmOtpBody = z
  .strictObject({
    otp: z
      .string()
      .regex(/^[0-9a-fA-F]{64}$/, 'otp: the sha256 of the 6-digit code, as 64 hex characters')
      .transform((hex) => hex.toLowerCase())
      .describe('sha256 of the 6-digit code the citizen received, as hex. Entering the code in the verifier’s app is the citizen’s consent.'),
    txnId: z.string().min(1).max(64).describe('The txnId generateOTP answered.'),
  })
  .describe('Confirm the code: the answer is the signed status token, recorded as a disclosure to this verifier.');

/** The verifier's API key, in the header Co-WIN uses. */
export const cowinApiKeyHeader = z.string().regex(/^[\x21-\x7e]{1,200}$/).describe('x-api-key: the verifier’s API key.');

/**
 * `GET /api/v3/vaccination/status`: `Authorization: Bearer <token from confirmOTP>` (some Co-WIN
 * clients send the token without the scheme; that is accepted too).
 */
export const cowinBearerHeader = z
  .string()
  .max(4096 + 7)
  .regex(/^(?:[Bb]earer )?[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/)
  .describe('Authorization: Bearer <the token confirmOTP answered>.');

export const cowinGenerateOtpResponse = z.strictObject({ txnId: z.string().describe('Opaque; send it to confirmOTP.') });

export const cowinConfirmOtpResponse = z.strictObject({
  token: z
    .string()
    .describe('The signed status token (compact JWS, EdDSA, typ kycvs-status+jwt, aud = your client id): verify it with the JWKS, or send it to status.'),
});

export const cowinStatusResponse = z.strictObject({
  vaccination_status: z.union([z.literal(0), z.literal(1), z.literal(2)]).describe('0 not vaccinated, 1 partially, 2 fully.'),
  token: z.string().describe('The same signed status token, which carries this status.'),
});

/** Every error, Co-WIN's shape: `errorCode` and `error`, and our details where they apply. */
export const cowinErrorBody = z.strictObject({
  errorCode: z.string().describe('Co-WIN’s code where Co-WIN documents one (USRAUT0014, USRAUT0024), else KYCVSnnnn.'),
  error: z.string(),
  attempts_left: z.number().int().optional().describe('Invalid OTP: wrong tries left before this txnId locks.'),
  retry_after: z.number().int().optional().describe('On every 429: seconds to wait (also in Retry-After).'),
  fields: z.array(z.string()).optional().describe('Invalid input: which fields, never their values.'),
});

/** The routes, for the OpenAPI document (server/http/openapi.ts), by the ids their schemas are registered under. */
export const cowinOperations: Operation[] = [
  {
    method: 'post',
    path: '/api/v3/vaccination/generateOTP',
    summary: 'Co-WIN-compatible: send a code',
    description: 'Co-WIN’s KYC-VS v3 shape. Answered alike whether or not the mobile is registered; a text goes only to a registered one.',
    caller: 'x_api_key',
    tag: 'Co-WIN-compatible API',
    request: 'CowinGenerateOtpRequest',
    response: { status: 200, schema: 'CowinGenerateOtpResponse', description: 'The transaction' },
    foreignErrors: 'CowinError',
  },
  {
    method: 'post',
    path: '/api/v3/vaccination/confirmOTP',
    summary: 'Co-WIN-compatible: confirm the code',
    description: 'Entering the code in the verifier’s app is the consent: the token is recorded as a disclosure to this verifier before it is answered.',
    caller: 'x_api_key',
    tag: 'Co-WIN-compatible API',
    request: 'CowinConfirmOtpRequest',
    response: { status: 200, schema: 'CowinConfirmOtpResponse', description: 'The signed status token' },
    foreignErrors: 'CowinError',
  },
  {
    method: 'get',
    path: '/api/v3/vaccination/status',
    summary: 'Co-WIN-compatible: the status',
    description: 'With `x-api-key` and `Authorization: Bearer <the token confirmOTP answered>`.',
    caller: 'status_token',
    tag: 'Co-WIN-compatible API',
    response: { status: 200, schema: 'CowinStatusResponse', description: 'The status and the token that carries it' },
    foreignErrors: 'CowinError',
  },
];

// Registered by id: the OpenAPI document's component names.
cowinGenerateOtpBody.register(z.globalRegistry, { id: 'CowinGenerateOtpRequest' });
cowinConfirmOtpBody.register(z.globalRegistry, { id: 'CowinConfirmOtpRequest' });
cowinGenerateOtpResponse.register(z.globalRegistry, { id: 'CowinGenerateOtpResponse' });
cowinConfirmOtpResponse.register(z.globalRegistry, { id: 'CowinConfirmOtpResponse' });
cowinStatusResponse.register(z.globalRegistry, { id: 'CowinStatusResponse' });
cowinErrorBody.register(z.globalRegistry, { id: 'CowinError' });
