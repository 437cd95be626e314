// The demo host backend's side of KYC-VS: create sessions with its API key, verify tokens
// against the service's published keys. A real verifier's backend does exactly this.
import type { ApiErrorBody, CreateSessionRequest, CreateSessionResponse, SessionView, VaccinationStatus } from '../protocol/api.ts';
import { verifyStatusToken } from '@kycvs/verifier';

export interface ServiceEndpoint {
  /** Where this backend reaches the service, and where browsers load embed.js from. */
  url: string;
  /** The `iss` of the service's tokens. */
  issuer: string;
}

export class KycVsServiceError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

export async function createSession(service: ServiceEndpoint, apiKey: string, body: CreateSessionRequest): Promise<CreateSessionResponse> {
  const response = await fetch(`${service.url}/v1/sessions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const data = (await response.json()) as CreateSessionResponse | ApiErrorBody;
  if ('error' in data) throw new KycVsServiceError(data.error, data.message);
  return data;
}

/** The session as the service sees it (`GET /v1/sessions/:id`): its state, and the token once the person shared. */
export async function getSession(service: ServiceEndpoint, apiKey: string, sessionId: string): Promise<SessionView> {
  const response = await fetch(`${service.url}/v1/sessions/${encodeURIComponent(sessionId)}`, {
    headers: { authorization: `Bearer ${apiKey}` },
  });
  const data = (await response.json()) as SessionView | ApiErrorBody;
  if ('error' in data) throw new KycVsServiceError(data.error, data.message);
  return data;
}

export interface VerifiedToken {
  status: VaccinationStatus;
  sessionId: string;
  expiresAt: string;
}

/** Signature (JWKS), issuer, audience, expiry, nonce and, when known, the session (`txn_mismatch`): all by the package. */
export async function verifyToken(
  service: ServiceEndpoint,
  token: string,
  expected: { clientId: string; nonce: string; sessionId?: string },
): Promise<VerifiedToken> {
  const { status, claims } = await verifyStatusToken(token, {
    issuer: service.issuer,
    audience: expected.clientId,
    nonce: expected.nonce,
    jwksUri: `${service.url}/.well-known/jwks.json`,
    ...(expected.sessionId === undefined ? {} : { sessionId: expected.sessionId }),
  });
  return { status, sessionId: claims.txn, expiresAt: new Date(claims.exp * 1000).toISOString() };
}
