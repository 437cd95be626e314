import { type JWTVerifyGetKey, createRemoteJWKSet, errors, jwtVerify } from 'jose';
import { STATUS_TOKEN_TYPE, type StatusTokenClaims, type VaccinationStatus } from '../protocol/api.ts';

/** Why a status token was refused. Each reason is distinct so a host can log what went wrong. */
export type StatusTokenErrorCode =
  | 'token_malformed'
  | 'alg_not_allowed'
  | 'typ_invalid'
  | 'key_unknown'
  | 'signature_invalid'
  | 'issuer_mismatch'
  | 'audience_mismatch'
  | 'nonce_mismatch'
  | 'token_expired'
  | 'token_not_yet_valid'
  | 'claims_invalid'
  | 'jwks_unavailable';

export class StatusTokenError extends Error {
  readonly code: StatusTokenErrorCode;
  constructor(code: StatusTokenErrorCode, message: string) {
    super(message);
    this.name = 'StatusTokenError';
    this.code = code;
  }
}

export interface VerifyStatusTokenOptions {
  /** The KYC-VS service's issuer URL, e.g. "https://kycvs.example.gov.in". */
  issuer: string;
  /** Your client id: a token made for another verifier is refused. */
  audience: string;
  /** The nonce you gave when starting the verification; required in the token when given here. */
  nonce?: string;
  /** Defaults to `<issuer>/.well-known/jwks.json`. */
  jwksUri?: string;
  /** Tolerated clock difference in seconds (default 30). */
  clockToleranceSeconds?: number;
}

export interface VerifiedStatus {
  status: VaccinationStatus;
  claims: StatusTokenClaims;
}

// One cached key set per JWKS URL: jose refetches on an unknown kid (rotation) and on its own schedule.
const keySets = new Map<string, JWTVerifyGetKey>();

function keySetFor(uri: string): JWTVerifyGetKey {
  let keys = keySets.get(uri);
  if (!keys) {
    keys = createRemoteJWKSet(new URL(uri), { cooldownDuration: 5_000, cacheMaxAge: 10 * 60_000 });
    keySets.set(uri, keys);
  }
  return keys;
}

/**
 * Verifies a KYC-VS status token on a host backend: Ed25519 signature against the service's
 * published keys, `typ`, issuer, audience, expiry, nonce; returns the vaccination status.
 */
export async function verifyStatusToken(token: string, options: VerifyStatusTokenOptions): Promise<VerifiedStatus> {
  if (typeof token !== 'string' || token.split('.').length !== 3) {
    throw new StatusTokenError('token_malformed', 'not a compact JWS');
  }
  const issuer = options.issuer.replace(/\/+$/, '');
  const keys = keySetFor(options.jwksUri ?? `${issuer}/.well-known/jwks.json`);
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(token, keys, {
      algorithms: ['EdDSA'],
      typ: STATUS_TOKEN_TYPE,
      issuer,
      audience: options.audience,
      requiredClaims: ['sub', 'iat', 'exp', 'jti'],
      clockTolerance: options.clockToleranceSeconds ?? 30,
    }));
  } catch (err) {
    throw toStatusTokenError(err);
  }
  if (options.nonce !== undefined && payload.nonce !== options.nonce) {
    throw new StatusTokenError('nonce_mismatch', 'the token was not made for this nonce');
  }
  const status = payload.vaccination_status;
  if (status !== 0 && status !== 1 && status !== 2) {
    throw new StatusTokenError('claims_invalid', 'vaccination_status is not 0, 1 or 2');
  }
  if (typeof payload.txn !== 'string') throw new StatusTokenError('claims_invalid', 'txn is missing');
  return { status, claims: payload as unknown as StatusTokenClaims };
}

function toStatusTokenError(err: unknown): StatusTokenError {
  if (err instanceof StatusTokenError) return err;
  if (err instanceof errors.JWTExpired) return new StatusTokenError('token_expired', 'the token has expired');
  if (err instanceof errors.JWTClaimValidationFailed) {
    const byClaim: Record<string, StatusTokenErrorCode> = {
      iss: 'issuer_mismatch',
      aud: 'audience_mismatch',
      typ: 'typ_invalid',
      nbf: 'token_not_yet_valid',
      iat: 'token_not_yet_valid',
    };
    return new StatusTokenError(byClaim[err.claim] ?? 'claims_invalid', err.message);
  }
  if (err instanceof errors.JOSEAlgNotAllowed) return new StatusTokenError('alg_not_allowed', 'only EdDSA tokens are accepted');
  if (err instanceof errors.JWKSNoMatchingKey) return new StatusTokenError('key_unknown', 'no published key matches the token');
  if (err instanceof errors.JWSSignatureVerificationFailed) return new StatusTokenError('signature_invalid', 'bad signature');
  if (err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid || (err instanceof Error && err.name === 'TypeError')) {
    return new StatusTokenError('jwks_unavailable', 'the key set could not be fetched');
  }
  if (err instanceof errors.JWTInvalid || err instanceof errors.JWSInvalid || err instanceof errors.JOSEError) {
    return new StatusTokenError('token_malformed', (err as Error).message);
  }
  return new StatusTokenError('token_malformed', 'unreadable token');
}
