import { z } from 'zod';
import { API_ERRORS, type ApiErrorCode } from '../../protocol/api.ts';
import '../../protocol/schemas.ts';

/**
 * How an operation is called: with the verifier's API key (as a bearer, or in `x-api-key` for the
 * Co-WIN-shaped API), keyless from the frame, either, with a status token as bearer, or by operators.
 */
type Caller = 'api_key' | 'x_api_key' | 'status_token' | 'frame' | 'either' | 'anyone' | 'operator' | 'citizen';

/** One documented operation. Bodies name a schema registered (by id) in protocol/schemas.ts or next to their routes. */
export interface Operation {
  method: 'get' | 'post';
  /** OpenAPI style: `/v1/sessions/{id}`. */
  path: string;
  summary: string;
  description?: string;
  caller: Caller;
  tag: string;
  /** Id of the request body's schema (JSON). */
  request?: string;
  /** Query parameters: name, the id of their schema, and what they do. */
  query?: { name: string; schema: string; description: string }[];
  /** The success answer: a JSON schema id, or another media type. */
  response: { status: number; schema?: string; mediaType?: string; description: string };
  /** Error codes (protocol/api.ts API_ERRORS) this operation can answer with, besides the ones every route can. */
  errors?: ApiErrorCode[];
  /** Only in demo mode. */
  demoOnly?: boolean;
  /** Answers another API's error shape (its own schema), not ours. */
  foreignErrors?: string;
}

/** Every JSON route can answer these (bad JSON, too large, wrong media type, wrong method, a bug). */
const ALWAYS: ApiErrorCode[] = ['invalid_json', 'payload_too_large', 'unsupported_media_type', 'method_not_allowed', 'internal_error', 'service_unavailable'];
const ON_SESSION: ApiErrorCode[] = ['invalid_request', 'unauthorized', 'session_not_found', 'session_expired', 'client_disabled', 'origin_not_allowed'];

const operations: Operation[] = [
  {
    method: 'post',
    path: '/v1/sessions',
    summary: 'Start a verification',
    description:
      'With the API key (recommended; give mobile and name to send the first code at once), or keyless from the frame with `client_id` and an allowlisted `origin` for clients that accept keyless (public-client) sessions. A browser’s `Origin` header must be the frame’s or the declared origin.',
    caller: 'either',
    tag: 'Sessions',
    request: 'CreateSessionRequest',
    response: { status: 201, schema: 'CreateSessionResponse', description: 'Created' },
    errors: ['invalid_request', 'unauthorized', 'forbidden', 'origin_not_allowed', 'client_disabled', 'otp_locked', 'rate_limited'],
  },
  {
    method: 'get',
    path: '/v1/sessions/{id}',
    summary: 'Read a session (verifier)',
    description: 'State, who fixed the person (never who), and the token once the citizen allowed.',
    caller: 'api_key',
    tag: 'Sessions',
    response: { status: 200, schema: 'SessionView', description: 'The session' },
    errors: ['unauthorized', 'client_disabled', 'session_not_found'],
  },
  {
    method: 'get',
    path: '/v1/sessions/{id}/context',
    summary: 'Who asks and why (frame)',
    caller: 'frame',
    query: [{ name: 'lang', schema: 'Lang', description: 'The client’s name and purpose in this language where the verifier registered them (else English); the answer says which' }],
    tag: 'Sessions',
    response: { status: 200, schema: 'SessionContext', description: 'The verifier and purpose; nothing about the person' },
    errors: ON_SESSION,
  },
  {
    method: 'post',
    path: '/v1/sessions/{id}/otp',
    summary: 'Send (or resend) the code',
    description: 'The same answer whether or not the mobile is registered; a text goes only to a registered one. The first code fixes the person.',
    caller: 'either',
    tag: 'Sessions',
    request: 'SendOtpRequest',
    response: { status: 202, schema: 'SendOtpResponse', description: 'Accepted' },
    errors: [...ON_SESSION, 'invalid_state', 'person_mismatch', 'otp_locked', 'resend_too_soon', 'send_limit_reached', 'rate_limited'],
  },
  {
    method: 'post',
    path: '/v1/sessions/{id}/otp/verify',
    summary: 'Check the code',
    description: 'Answers a consent ticket, never a status; with `consent: true` (API key: the host’s own app collected the code) the token at once, after its audit record.',
    caller: 'either',
    tag: 'Sessions',
    request: 'VerifyOtpRequest',
    response: { status: 200, schema: 'VerifyOtpResponse', description: 'The code was right' },
    errors: [...ON_SESSION, 'forbidden', 'otp_invalid', 'invalid_state', 'otp_not_sent', 'otp_expired', 'otp_locked', 'name_not_matched'],
  },
  {
    method: 'post',
    path: '/v1/sessions/{id}/consent',
    summary: 'The citizen’s decision',
    caller: 'frame',
    tag: 'Sessions',
    request: 'ConsentRequest',
    response: { status: 200, schema: 'ConsentResponse', description: 'The token (allow) or `{ denied: true }`' },
    errors: [...ON_SESSION, 'forbidden', 'invalid_state', 'otp_locked', 'name_not_matched'],
  },
  {
    method: 'post',
    path: '/v1/sessions/{id}/name',
    summary: 'Correct the name (frame)',
    description:
      'After a right code whose name matched no one on the mobile: the code’s holder, in the frame (a consent ticket handed to a keyless caller; never with an API key), tries another name, at most 3 times per session (a pick from /members counts), with no new SMS. A match re-keys the session, so an allow then shares that person’s status. Only when the citizen gave the name: a session whose person the host backend fixed answers `name_fixed_by_host`. `name_tries_exhausted` is final for the session (retrying does not help; start a new verification). Never a status.',
    caller: 'frame',
    tag: 'Sessions',
    request: 'CorrectNameRequest',
    response: { status: 200, schema: 'CorrectNameResponse', description: 'Whether the name matched, and the tries left' },
    errors: [...ON_SESSION, 'forbidden', 'invalid_state', 'otp_not_sent', 'otp_locked', 'name_fixed_by_host', 'name_tries_exhausted'],
  },
  {
    method: 'post',
    path: '/v1/sessions/{id}/members',
    summary: 'Who is registered on the mobile (frame)',
    description:
      'Same conditions as /name (the code’s holder in the frame, a citizen-given name that matched no one, tries left): the names registered on the mobile the code went to, as registered, and nothing else. A pick is then sent to /name.',
    caller: 'frame',
    tag: 'Sessions',
    request: 'MembersRequest',
    response: { status: 200, schema: 'MembersResponse', description: 'The names on the mobile' },
    errors: [...ON_SESSION, 'forbidden', 'invalid_state', 'otp_not_sent', 'otp_locked', 'name_fixed_by_host', 'name_tries_exhausted'],
  },
  {
    method: 'get',
    path: '/.well-known/jwks.json',
    summary: 'Public signing keys',
    description: 'Current and still-valid previous Ed25519 keys (JWK Set).',
    caller: 'anyone',
    tag: 'Keys and discovery',
    response: { status: 200, mediaType: 'application/json', description: 'A JWK Set' },
  },
  {
    method: 'get',
    path: '/.well-known/kycvs-configuration',
    summary: 'Discovery',
    caller: 'anyone',
    tag: 'Keys and discovery',
    response: { status: 200, mediaType: 'application/json', description: 'Issuer, endpoints, token type, status values' },
  },
  {
    method: 'get',
    path: '/openapi.json',
    summary: 'This document',
    caller: 'anyone',
    tag: 'Keys and discovery',
    response: { status: 200, mediaType: 'application/json', description: 'OpenAPI 3.1' },
  },
  {
    method: 'get',
    path: '/docs/',
    summary: 'This document as a page',
    caller: 'anyone',
    tag: 'Keys and discovery',
    response: { status: 200, mediaType: 'text/html', description: 'The API reference' },
  },
  {
    method: 'get',
    path: '/embed.js',
    summary: 'The loader',
    caller: 'anyone',
    tag: 'Widget',
    response: { status: 200, mediaType: 'text/javascript', description: 'window.KycVs and <kyc-vs-button>' },
  },
  {
    method: 'get',
    path: '/embed.d.ts',
    summary: 'TypeScript types of the loader',
    description: '`window.KycVs`, `<kyc-vs-button>` and its events.',
    caller: 'anyone',
    tag: 'Widget',
    response: { status: 200, mediaType: 'application/typescript', description: 'A declaration file' },
  },
  {
    method: 'get',
    path: '/widget/',
    summary: 'The frame page',
    description: 'Query `client_id` and `origin`; framed only by that origin when it is on the client’s allowlist (CSP frame-ancestors).',
    caller: 'anyone',
    tag: 'Widget',
    response: { status: 200, mediaType: 'text/html', description: 'The frame page (404/403 with an error page when refused)' },
  },
  {
    method: 'get',
    path: '/widget/assets/{file}',
    summary: 'The frame’s scripts and styles (content-hashed, cached for good)',
    caller: 'anyone',
    tag: 'Widget',
    response: { status: 200, mediaType: 'application/octet-stream', description: 'A built asset' },
  },
  {
    method: 'get',
    path: '/healthz',
    summary: 'Liveness and readiness',
    caller: 'anyone',
    tag: 'Operations',
    response: { status: 200, mediaType: 'application/json', description: '`{ status: "ok" }` (503 `{ status: "unavailable" }`)' },
  },
  {
    method: 'get',
    path: '/metrics',
    summary: 'Prometheus metrics',
    description: 'Bearer `KYCVS_METRICS_TOKEN`, else loopback callers; only for the issuer’s host and loopback names.',
    caller: 'operator',
    tag: 'Operations',
    response: { status: 200, mediaType: 'text/plain', description: 'Prometheus text format' },
    errors: ['forbidden', 'not_found'],
  },
  {
    method: 'get',
    path: '/v1/dev/sms',
    summary: 'The demo SMS outbox',
    description: 'Demo mode only (`KYCVS_DEMO=1`): the texts “sent”, newest first. Query `mobile`.',
    caller: 'anyone',
    tag: 'Operations',
    response: { status: 200, mediaType: 'application/json', description: '`{ messages: [{ to, text, sent_at }] }`' },
    errors: ['invalid_request'],
    demoOnly: true,
  },
  // The citizen's own history (server/http/me-routes.ts).
  {
    method: 'post',
    path: '/v1/me/otp',
    summary: 'Sign in to your own history: send (or resend) a code',
    description:
      'Under the check’s limits (SMS per mobile, per address and service-wide, the resend delay, sends per sign-in, the wrong-code lock per mobile). The same answer whether or not the mobile is registered; a text goes only to a registered one. A resend names its `sign_in_id`.',
    caller: 'anyone',
    tag: 'Your own history',
    request: 'MeOtpRequest',
    response: { status: 202, schema: 'MeOtpResponse', description: 'Accepted' },
    errors: ['invalid_request', 'session_not_found', 'session_expired', 'invalid_state', 'otp_locked', 'resend_too_soon', 'send_limit_reached', 'rate_limited'],
  },
  {
    method: 'post',
    path: '/v1/me/otp/verify',
    summary: 'Check the code: signed in',
    description: 'Sets the `kycvs_me` cookie (HttpOnly, SameSite=Strict, Path=/v1/me, Secure over https) for 10 minutes, bound to the mobile only.',
    caller: 'anyone',
    tag: 'Your own history',
    request: 'MeVerifyRequest',
    response: { status: 200, schema: 'MeVerifyResponse', description: 'Signed in' },
    errors: ['invalid_request', 'otp_invalid', 'session_not_found', 'invalid_state', 'session_expired', 'otp_expired', 'otp_locked'],
  },
  {
    method: 'get',
    path: '/v1/me/disclosures',
    summary: 'Who checked: every share and refusal about the people on the mobile',
    description: 'From the audit, newest first, 20 per person; query `person` and `before` (a person’s `older`) for the next page.',
    caller: 'citizen',
    tag: 'Your own history',
    response: { status: 200, schema: 'MeDisclosuresResponse', description: 'The people on the mobile and their history' },
    errors: ['invalid_request', 'unauthorized'],
  },
  {
    method: 'post',
    path: '/v1/me/sign-out',
    summary: 'Sign out',
    caller: 'citizen',
    tag: 'Your own history',
    response: { status: 200, schema: 'MeSignOutResponse', description: 'Signed out; the cookie is cleared' },
  },
  {
    method: 'get',
    path: '/me/',
    summary: 'Your own history (the page)',
    description: 'Sign in with your mobile and a code; see who checked the status of each person on it. Never framed.',
    caller: 'anyone',
    tag: 'Your own history',
    response: { status: 200, mediaType: 'text/html', description: 'The page' },
  },
  {
    method: 'get',
    path: '/me/assets/{file}',
    summary: 'The page’s scripts and styles (content-hashed, cached for good)',
    caller: 'anyone',
    tag: 'Your own history',
    response: { status: 200, mediaType: 'application/octet-stream', description: 'A built asset' },
  },
];

/** Operations declared by other route modules (the Co-WIN-shaped API, the loader's types). */
const extra: Operation[] = [];

/** Adds operations documented next to the routes that serve them. */
export function documentOperations(more: readonly Operation[]): void {
  extra.push(...more);
}

export function documentedOperations(): readonly Operation[] {
  return [...operations, ...extra];
}

const SECURITY: Record<Caller, unknown[]> = {
  api_key: [{ apiKey: [] }],
  x_api_key: [{ xApiKey: [] }],
  status_token: [{ statusToken: [] }],
  either: [{ apiKey: [] }, {}],
  frame: [{}],
  anyone: [{}],
  operator: [{ metricsToken: [] }, {}],
  citizen: [{ meCookie: [] }],
};

/** Component schemas from every schema registered with an id (zod's global registry). */
function componentSchemas(): Record<string, unknown> {
  const { schemas } = z.toJSONSchema(z.globalRegistry, {
    target: 'draft-2020-12',
    // Requests are described as callers write them (before the service normalises a mobile).
    io: 'input',
    uri: (id) => `#/components/schemas/${id}`,
  }) as {
    schemas: Record<string, Record<string, unknown>>;
  };
  // Each is a component, not a document of its own.
  return Object.fromEntries(Object.entries(schemas).map(([id, { $schema: _s, $id: _i, ...schema }]) => [id, schema]));
}

const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` });

/**
 * The OpenAPI 3.1 document of this service, generated from the schemas and the operations table;
 * demo-only routes appear only where they exist (`demo`).
 */
export function openApiDocument(issuer: string, { demo = false }: { demo?: boolean } = {}): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of documentedOperations()) {
    if (op.demoOnly && !demo) continue;
    const responses: Record<string, unknown> = {
      [op.response.status]: {
        description: op.response.description,
        content: { [op.response.mediaType ?? 'application/json']: op.response.schema ? { schema: ref(op.response.schema) } : {} },
      },
    };
    if (op.foreignErrors) {
      responses['4XX'] = { description: 'Errors in the shape of the API this one is compatible with', content: { 'application/json': { schema: ref(op.foreignErrors) } } };
    } else {
      const codes = [...new Set([...(op.errors ?? []), ...(op.request ? ALWAYS : ['method_not_allowed', 'internal_error', 'service_unavailable'])])] as ApiErrorCode[];
      const byStatus = new Map<number, ApiErrorCode[]>();
      for (const code of codes) byStatus.set(API_ERRORS[code], [...(byStatus.get(API_ERRORS[code]) ?? []), code]);
      for (const [status, list] of [...byStatus].sort(([a], [b]) => a - b)) {
        responses[status] = {
          description: list.map((c) => `\`${c}\``).join(', '),
          content: { 'application/json': { schema: ref('Error'), examples: Object.fromEntries(list.map((c) => [c, { value: { error: c, message: '…' } }])) } },
        };
      }
    }
    const parameters: Record<string, unknown>[] = [...op.path.matchAll(/\{(\w+)\}/g)].map(([, name]) => ({ name, in: 'path', required: true, schema: { type: 'string' } }));
    for (const q of op.query ?? []) parameters.push({ name: q.name, in: 'query', required: false, description: q.description, schema: ref(q.schema) });
    (paths[op.path] ??= {})[op.method] = {
      operationId: `${op.method}${op.path.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase())}`,
      summary: op.summary,
      ...(op.description || op.demoOnly ? { description: [op.description, op.demoOnly ? '(Demo mode only.)' : ''].filter(Boolean).join(' ') } : {}),
      tags: [op.tag],
      security: SECURITY[op.caller],
      ...(parameters.length ? { parameters } : {}),
      ...(op.request ? { requestBody: { required: true, content: { 'application/json': { schema: ref(op.request) } } } } : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'KYC-VS',
      version: '1',
      summary: 'Consent-based vaccination-status check: OTP-confirmed, signed status tokens',
      description:
        'Errors are `{ error, message }` with a stable code; every 429 carries `retry_after` and `Retry-After`. POST bodies are `application/json`, at most 8 KB, with no unknown fields. No answer carries a vaccination status before an `allow` is recorded.',
    },
    servers: [{ url: issuer }],
    tags: [...new Set(documentedOperations().map((o) => o.tag))].map((name) => ({ name })),
    paths,
    webhooks: {
      sessionEvent: {
        post: {
          summary: 'A session ended: session.completed, .denied, .expired or .failed',
          description:
            'Sent to the client’s webhook URL (`clients update ID --webhook URL`), signed per Standard Webhooks: verify `webhook-signature` (`v1,` + base64 HMAC-SHA256 of `<webhook-id>.<webhook-timestamp>.<raw body>` with the `whsec_` secret) before trusting it, e.g. with `verifyWebhook` from `@kycvs/verifier`. At least once: deduplicate by `webhook-id`. Retried with back-off for 24 h on anything but 2xx.',
          parameters: ['webhook-id', 'webhook-timestamp', 'webhook-signature'].map((name) => ({ name, in: 'header', required: true, schema: { type: 'string' } })),
          requestBody: { required: true, content: { 'application/json': { schema: ref('WebhookEvent') } } },
          responses: { '2XX': { description: 'Received (answer within 10 s)' } },
        },
      },
    },
    components: {
      schemas: componentSchemas(),
      securitySchemes: {
        apiKey: { type: 'http', scheme: 'bearer', description: 'The verifier’s API key (`clients add` prints it once)' },
        xApiKey: { type: 'apiKey', in: 'header', name: 'x-api-key', description: 'The verifier’s API key, as Co-WIN’s API takes it' },
        statusToken: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'A status token this service issued' },
        metricsToken: { type: 'http', scheme: 'bearer', description: '`KYCVS_METRICS_TOKEN`' },
        meCookie: { type: 'apiKey', in: 'cookie', name: 'kycvs_me', description: 'Set by /v1/me/otp/verify: a citizen signed in to their own history' },
      },
    },
  };
}
