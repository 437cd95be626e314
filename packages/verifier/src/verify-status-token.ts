import crypto, { KeyObject, type webcrypto } from 'node:crypto';
import { type JWTVerifyGetKey, createRemoteJWKSet, errors } from 'jose';

/** `0` no dose recorded, `1` fewer doses than the vaccine's primary schedule, `2` primary schedule complete. */
export type VaccinationStatus = 0 | 1 | 2;

/** Media type (`typ` header) of a KYC-VS status token. */
export const STATUS_TOKEN_TYPE = 'kycvs-status+jwt';

/** The claims of a verified status token: never a name, a mobile number, a date or a vaccine. */
export interface StatusTokenClaims {
  /** The service that signed it (your `issuer`). */
  iss: string;
  /** Your client id. */
  aud: string;
  /** A pseudonym of the person, stable for your client only (pairwise). */
  sub: string;
  iat: number;
  exp: number;
  jti: string;
  /** The session id the token answers. */
  txn: string;
  /** The nonce you gave, when you gave one. */
  nonce?: string;
  vaccination_status: VaccinationStatus;
}

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
  | 'txn_mismatch'
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
  /**
   * The session id you created (or were handed) for this check: a token that answers another
   * session is refused (`txn_mismatch`), so a token cannot be replayed into another booking.
   */
  sessionId?: string;
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
 * published keys, `typ`, issuer, audience, expiry, nonce and session; returns the vaccination status.
 */
export async function verifyStatusToken(token: string, options: VerifyStatusTokenOptions): Promise<VerifiedStatus> {
  if (typeof token !== 'string' || !isCanonicalCompactJws(token)) {
    throw new StatusTokenError('token_malformed', 'not a compact JWS in canonical base64url');
  }
  const issuer = options.issuer.replace(/\/+$/, '');
  const keys = keySetFor(options.jwksUri ?? `${issuer}/.well-known/jwks.json`);
  let payload: Record<string, unknown>;
  try {
    payload = await verifiedPayload(token, keys);
  } catch (err) {
    throw toStatusTokenError(err);
  }
  checkClaims(payload, issuer, options.audience, options.clockToleranceSeconds ?? 30);
  if (options.nonce !== undefined && payload.nonce !== options.nonce) {
    throw new StatusTokenError('nonce_mismatch', 'the token was not made for this nonce');
  }
  const status = payload.vaccination_status;
  if (status !== 0 && status !== 1 && status !== 2) {
    throw new StatusTokenError('claims_invalid', 'vaccination_status is not 0, 1 or 2');
  }
  if (typeof payload.txn !== 'string') throw new StatusTokenError('claims_invalid', 'txn is missing');
  if (options.sessionId !== undefined && payload.txn !== options.sessionId) {
    throw new StatusTokenError('txn_mismatch', 'the token answers another session');
  }
  return { status, claims: payload as unknown as StatusTokenClaims };
}

// Three base64url parts: no padding, no other characters; a part's length is never 1 more than a multiple of 4.
// The signature may be empty (canonical, and an `alg: none` token is then refused for its algorithm).
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
/** Per part length mod 4, the bits of its last character that no byte uses (they must be zero). */
const UNUSED_BITS = [0, -1, 0b1111, 0b11] as const;

/**
 * Whether the token is three parts of canonical base64url (RFC 7515 §2, RFC 4648 §3.5): the only
 * spelling of its bytes. A decoder ignores a last character's unused bits, so without this one
 * token would have several spellings (16 for a 64-byte signature), each verifying. Cheap: one
 * regular expression and one look at each part's last character.
 */
export function isCanonicalCompactJws(token: string): boolean {
  if (!COMPACT_JWS.test(token)) return false;
  let end = -1;
  for (let part = 0; part < 3; part++) {
    const start = end + 1;
    end = part < 2 ? token.indexOf('.', start) : token.length;
    const unused = UNUSED_BITS[(end - start) % 4 as 0 | 1 | 2 | 3];
    if (unused === -1) return false;
    if (unused !== 0 && end > start && (BASE64URL.indexOf(token[end - 1]!) & unused) !== 0) return false;
  }
  return true;
}

/** Node's form of each imported key, made once per key (jose's WebCrypto verify is async and ~2× raw Ed25519). */
const nodeKeys = new WeakMap<object, KeyObject>();

function decodePart(part: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    throw new StatusTokenError('token_malformed', `the ${what} is not JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new StatusTokenError('token_malformed', `the ${what} is not an object`);
  return value as Record<string, unknown>;
}

/** `application/kycvs-status+jwt` and `KYCVS-STATUS+JWT` name the same type (RFC 7515 §4.1.9). */
const mediaType = (typ: unknown) => (typeof typ === 'string' ? typ.toLowerCase().replace(/^application\//, '') : '');

/**
 * The header checked (EdDSA only, our `typ`, no `crit`), the key found in the service's JWKS by jose
 * (cached; refetched on an unknown `kid`), the signature checked synchronously by node:crypto.
 */
async function verifiedPayload(token: string, keys: JWTVerifyGetKey): Promise<Record<string, unknown>> {
  const [headerPart, payloadPart, signaturePart] = token.split('.') as [string, string, string];
  const header = decodePart(headerPart, 'header');
  if (header.alg !== 'EdDSA') throw new StatusTokenError('alg_not_allowed', 'only EdDSA tokens are accepted');
  if (header.crit !== undefined) throw new StatusTokenError('token_malformed', 'no critical header extension is understood');
  if (mediaType(header.typ) !== STATUS_TOKEN_TYPE) throw new StatusTokenError('typ_invalid', 'not a KYC-VS status token');
  const key = await keys(header as Parameters<JWTVerifyGetKey>[0], { payload: payloadPart, signature: signaturePart });
  let nodeKey = nodeKeys.get(key);
  if (!nodeKey) {
    nodeKey = key instanceof KeyObject ? key : KeyObject.from(key as webcrypto.CryptoKey);
    nodeKeys.set(key, nodeKey);
  }
  const signed = Buffer.from(`${headerPart}.${payloadPart}`);
  if (nodeKey.asymmetricKeyType !== 'ed25519' || !crypto.verify(null, signed, nodeKey, Buffer.from(signaturePart, 'base64url'))) {
    throw new StatusTokenError('signature_invalid', 'bad signature');
  }
  return decodePart(payloadPart, 'payload');
}

/** Issuer, audience, the registered claims a status token always has, and its time window. */
function checkClaims(claims: Record<string, unknown>, issuer: string, audience: string, toleranceSeconds: number): void {
  if (claims.iss !== issuer) throw new StatusTokenError('issuer_mismatch', 'the token was issued by another service');
  const aud = claims.aud;
  if (!(aud === audience || (Array.isArray(aud) && aud.includes(audience)))) throw new StatusTokenError('audience_mismatch', 'the token was made for another verifier');
  const { sub, iat, exp, jti, nbf } = claims;
  if (typeof sub !== 'string' || typeof jti !== 'string' || !Number.isFinite(iat) || !Number.isFinite(exp) || (nbf !== undefined && !Number.isFinite(nbf))) {
    throw new StatusTokenError('claims_invalid', 'sub, iat, exp and jti are required, and nbf, iat and exp are numbers');
  }
  const now = Math.floor(Date.now() / 1000);
  if (now - toleranceSeconds >= (exp as number)) throw new StatusTokenError('token_expired', 'the token has expired');
  if ((nbf !== undefined && (nbf as number) > now + toleranceSeconds) || (iat as number) > now + toleranceSeconds) {
    throw new StatusTokenError('token_not_yet_valid', 'the token is not valid yet');
  }
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
