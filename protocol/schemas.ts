// The API's bodies as zod schemas: the one source of truth. The TypeScript types of protocol/api.ts
// are inferred from these, the server's request validation (server/http/validation.ts) refines
// them, and the OpenAPI document (server/http/openapi.ts) is generated from them. Imported by
// type only from the widget, so zod never reaches the frame's bundle.
import { z } from 'zod';
import { LANG_CODES } from './languages.ts';
import { API_ERRORS, type ApiErrorCode, MAX_NAMES_PER_MOBILE, NAME_TRIES_PER_SESSION } from './api.ts';

/** Registered under `id` in zod's global registry: the OpenAPI document's component name. */
const named = <T extends z.ZodType>(schema: T, id: string, description: string): T => schema.meta({ id, description });

export const vaccinationStatus = named(
  z.union([z.literal(0), z.literal(1), z.literal(2)]),
  'VaccinationStatus',
  '0 = no dose recorded for the matched person, 1 = fewer doses than the vaccine’s primary schedule, 2 = primary schedule complete.',
);

export const sessionState = named(
  z.enum(['created', 'otp_sent', 'verified', 'completed', 'denied', 'locked', 'expired']),
  'SessionState',
  'created → otp_sent → verified → completed | denied; or locked (too many wrong codes) or expired.',
);

export const personFixedBy = named(
  z.enum(['backend', 'citizen']),
  'PersonFixedBy',
  'Who fixed the person a session is about: the host backend (mobile and name at creation) or the citizen (by the first code).',
);

const nonce = z.string().regex(/^[\x21-\x7e]{1,128}$/).describe('1-128 printable ASCII characters, no spaces; echoed in the token');
const mobile = z.string().max(32).describe('A 10-digit Indian mobile number, written any common way (+91, spaces, dashes, a leading 0)');
const name = z.string().max(100).describe('The name as registered for vaccination; matched on letters (NFKC, case, spacing, honorifics, word order)');
const purpose = z
  .string()
  .max(80)
  .describe('Printed in the SMS: at most 80 characters, one line, no control or invisible formatting characters, no number of 4 or more digits');
export const langCode = named(
  z.enum(LANG_CODES),
  'Lang',
  'One of the twelve languages, as an ISO 639-1 code: en, hi, bn, gu, kn, ml, mr, or, pa (Gurmukhi), ta, te, as',
);

export const createSessionRequest = named(
  z.strictObject({
    client_id: z.string().min(1).max(64).optional().describe('Widget mode (no API key): the verifier’s client id'),
    origin: z.string().min(1).max(300).optional().describe('The host page’s origin: required in widget mode, optional with an API key; must be allowlisted'),
    nonce: nonce.optional(),
    purpose: purpose.optional().describe('Only with an API key: why the verifier asks (else the client’s registered purpose)'),
    mobile: mobile.optional().describe('Server-to-server: with `name`, the first code is sent in the same call and the person fixed'),
    name: name.optional(),
    lang: langCode
      .optional()
      .describe('The citizen’s language: the SMS (with mobile and name) and the answer’s client name and purpose are in it, where the verifier registered them (else English)'),
  }),
  'CreateSessionRequest',
  'Starts a verification.',
);

export const publicClient = named(
  z.object({
    id: z.string(),
    name: z.string(),
    purpose: z.string(),
    name_lang: langCode
      .optional()
      .describe('Only when a language was asked for (`lang`): the language `name` is in, that one or `en` when the verifier registered none in it'),
    purpose_lang: langCode
      .optional()
      .describe('Likewise for `purpose`; absent also for a purpose the verifier’s backend set for this session (its language is not known)'),
  }),
  'PublicClient',
  'Who asks, and why (the session’s purpose).',
);

export const sendOtpResponse = named(
  z.object({
    expires_in: z.int().describe('Seconds the code stays valid'),
    resend_after: z.int().describe('Seconds before a resend is accepted'),
    sends_left: z.int().describe('Sends left in this session, resends included'),
  }),
  'SendOtpResponse',
  'The same answer whether or not the mobile is registered.',
);

export const createSessionResponse = named(
  z.object({
    session_id: z.string(),
    expires_at: z.iso.datetime(),
    client: publicClient,
    otp: sendOtpResponse.optional().describe('Present when mobile and name were given: the code was sent'),
    verification_url: z
      .url()
      .optional()
      .describe(
        'Only for a session made with the API key: a page of this service where the person completes the check without any page of yours (send it by SMS or email). It opens only with this URL (a random code, not the session id) and expires with the session; learn the outcome from GET /v1/sessions/{id} or the webhook',
      ),
  }),
  'CreateSessionResponse',
  'The new session.',
);

export const sendOtpRequest = named(
  z.strictObject({ mobile, name, lang: langCode.optional().describe('The language of the SMS (default English)') }),
  'SendOtpRequest',
  'Who the code is for. The first code fixes the person.',
);

export const verifyOtpRequest = named(
  z.strictObject({
    otp: z.string().regex(/^\d{6}$/).describe('The 6-digit code from the SMS'),
    consent: z.boolean().optional().describe('Host backend only (API key): its own app collected the code, which is the consent; the token comes back at once'),
  }),
  'VerifyOtpRequest',
  'The code the citizen entered.',
);

export const verifyOtpResponse = named(
  z.object({
    consent_ticket: z.string().optional().describe('Without `consent: true`: proof that the caller entered the code, required by /consent'),
    name_matched: z.boolean().optional().describe('Only to a caller without an API key (the frame): whether the name matches someone on the mobile'),
    token: z.string().optional().describe('With `consent: true`: the signed status token'),
    vaccination_status: vaccinationStatus.optional().describe('With `consent: true`: the status the token carries'),
  }),
  'VerifyOtpResponse',
  'Never a status without `consent: true`: a status leaves the service only in a token, after an allow written to the audit in the same transaction.',
);

export const consentRequest = named(
  z.strictObject({
    decision: z.enum(['allow', 'deny']),
    consent_ticket: z.string().min(1).max(100).describe('From /otp/verify'),
  }),
  'ConsentRequest',
  'The citizen’s choice.',
);

export const consentResponse = named(
  z.union([z.object({ token: z.string(), vaccination_status: vaccinationStatus }), z.object({ denied: z.literal(true) })]),
  'ConsentResponse',
  'allow: the signed token and the status it carries; deny: `{ denied: true }`.',
);

const consentTicket = z.string().min(1).max(100).describe('From /otp/verify, as handed to the frame (a ticket given to an API-key caller does not count)');

export const correctNameRequest = named(
  z.strictObject({ consent_ticket: consentTicket, name: name.describe('The name as registered (typed again, or picked from /members)') }),
  'CorrectNameRequest',
  'The code’s holder, in the frame, tries another name for a session whose name matched no one on its mobile.',
);

export const correctNameResponse = named(
  z.object({
    name_matched: z.boolean().describe('Whether the name matches someone on the mobile; if so, a later allow shares that person’s status'),
    name_tries_left: z.int().min(0).max(NAME_TRIES_PER_SESSION).describe(`Tries left in this session (${NAME_TRIES_PER_SESSION} in all, a pick from /members included)`),
  }),
  'CorrectNameResponse',
  'Never a status: it leaves the service only in a token, after an allow.',
);

export const membersRequest = named(
  z.strictObject({ consent_ticket: consentTicket }),
  'MembersRequest',
  'The code’s holder, in the frame, asks who is registered on the mobile they proved.',
);

export const membersResponse = named(
  z.object({ names: z.array(z.string()).max(MAX_NAMES_PER_MOBILE).describe('Names as registered, nothing else (no ids, statuses, vaccines or dates)') }),
  'MembersResponse',
  'The people registered on the session’s mobile, as Co-WIN lists an account’s members to the mobile’s owner.',
);

export const sessionContext = named(
  z.object({ session_id: z.string(), client: publicClient, state: sessionState, expires_at: z.iso.datetime() }),
  'SessionContext',
  'What the frame may read of a session it was handed: who asks and why, nothing about the person.',
);

export const sessionView = named(
  z.object({
    session_id: z.string(),
    client_id: z.string(),
    state: sessionState,
    purpose: z.string(),
    nonce: z.string().nullable(),
    created_at: z.iso.datetime(),
    expires_at: z.iso.datetime(),
    person_fixed_by: personFixedBy.nullable(),
    vaccination_status: vaccinationStatus.optional().describe('Once the citizen allowed sharing'),
    token: z.string().optional().describe('Once the citizen allowed sharing'),
  }),
  'SessionView',
  'The verifier’s view of its own session.',
);

export const webhookEvent = named(
  z.object({
    type: z.enum(['session.completed', 'session.denied', 'session.expired', 'session.failed']),
    timestamp: z.iso.datetime().describe('When it happened, not when it was delivered'),
    data: z.object({
      session_id: z.string(),
      client_id: z.string(),
      nonce: z.string().nullable().describe('The verifier’s own nonce for the session, when it gave one'),
      token: z.string().optional().describe('session.completed: the signed status token, which carries the status'),
      reason: z.literal('otp_locked').optional().describe('session.failed: why (the wrong-code lock)'),
    }),
  }),
  'WebhookEvent',
  'POSTed to a client’s webhook URL, signed per Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature). Nothing about the person.',
);

export const smsOutboxQuery = z.strictObject({ mobile: mobile.optional() });

/** `GET /v1/sessions/{id}/context?lang=`: the client's name and purpose in that language, where registered. */
export const contextQuery = z.strictObject({ lang: langCode.optional() });

export const apiErrorBody = named(
  z.object({
    error: z.enum(Object.keys(API_ERRORS) as [ApiErrorCode, ...ApiErrorCode[]]).describe('Stable: clients switch on it'),
    message: z.string().describe('For people; may change'),
    attempts_left: z.int().optional().describe('otp_invalid: wrong tries left before the session locks'),
    retry_after: z
      .int()
      .optional()
      .describe('Every 429: seconds to wait (also the Retry-After header); for a locked session or one out of sends, until it expires'),
    fields: z.array(z.string()).optional().describe('invalid_request: which fields were wrong, never their values'),
  }),
  'Error',
  'Every error answer.',
);

// The citizen's own history (`/me/`): signed in by a code to the mobile, they read every
// disclosure the audit holds about the people registered on it.

export const meOtpRequest = named(
  z.strictObject({
    mobile,
    sign_in_id: z.string().min(1).max(64).optional().describe('A resend: the sign-in the first code started (its mobile must be the same)'),
    lang: langCode.optional().describe('The language of the SMS: the page’s (default English)'),
  }),
  'MeOtpRequest',
  'Sign in to your own history: a code to the mobile (a new sign-in, or a resend on one).',
);

export const meOtpResponse = named(
  sendOtpResponse.extend({ sign_in_id: z.string().describe('Names this sign-in in /v1/me/otp/verify and resends') }),
  'MeOtpResponse',
  'The same answer whether or not the mobile is registered.',
);

export const meVerifyRequest = named(
  z.strictObject({
    sign_in_id: z.string().min(1).max(64),
    otp: z.string().regex(/^\d{6}$/).describe('The 6-digit code from the SMS'),
  }),
  'MeVerifyRequest',
  'The code the citizen entered.',
);

export const meVerifyResponse = named(
  z.object({ expires_at: z.iso.datetime().describe('When this sign-in ends (about 10 minutes; no extension)') }),
  'MeVerifyResponse',
  'Signed in: the `kycvs_me` cookie (HttpOnly, SameSite=Strict, Path=/v1/me) is set with this answer.',
);

export const meDisclosure = named(
  z.object({
    at: z.iso.datetime().describe('When the citizen decided'),
    client_name: z.string().describe('The verifier who asked'),
    purpose: z.string(),
    event: z.enum(['allow', 'deny']).describe('allow: the status was shared; deny: the citizen refused'),
    vaccination_status: vaccinationStatus.optional().describe('allow only: the status that was shared (nothing else ever is)'),
  }),
  'MeDisclosure',
  'One decision from the audit: who asked, why, when, and what was shared.',
);

export const mePerson = named(
  z.object({
    ref: z.string().describe('Names this person in a request for older entries (this sign-in only)'),
    name: z.string().describe('As registered on this mobile'),
    disclosures: z.array(meDisclosure).describe('Newest first'),
    older: z.string().nullable().describe('Give as `before` (with `person`) for the next page; null when there is none'),
  }),
  'MePerson',
  'A person registered on the signed-in mobile and their history.',
);

export const meDisclosuresResponse = named(
  z.object({ people: z.array(mePerson) }),
  'MeDisclosuresResponse',
  'Everyone registered on the mobile (or the one `person` asked for), each with a page of their history.',
);

export const meDisclosuresQuery = z.strictObject({
  person: z.string().min(1).max(64).optional(),
  before: z.string().min(1).max(64).optional(),
});

export const meSignOutResponse = named(
  z.object({ signed_out: z.literal(true) }),
  'MeSignOutResponse',
  'Signed out (or was not signed in): the sign-in ends on the service and its cookie is cleared.',
);
