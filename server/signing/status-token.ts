import crypto, { KeyObject } from 'node:crypto';
import { nanoid } from 'nanoid';
import { STATUS_TOKEN_TYPE, type VaccinationStatus } from '../../protocol/api.ts';
import { type KeyStore, SIGNING_ALG, type SigningKey } from './key-store.ts';

export interface StatusTokenInput {
  clientId: string;
  subject: string;
  sessionId: string;
  nonce: string | null;
  status: VaccinationStatus;
}

export interface IssuedToken {
  token: string;
  jti: string;
  expiresAt: number;
}

/** A signing key ready for the hot path: its protected header already encoded, its key as a node:crypto KeyObject. */
interface PreparedKey {
  source: SigningKey;
  header: string;
  key: KeyObject;
}

const b64url = (json: unknown) => Buffer.from(JSON.stringify(json)).toString('base64url');

/**
 * Signs status tokens: the status and pseudonymous identifiers only, never a name, mobile, date or
 * vaccine. A compact JWS (EdDSA, Ed25519) built directly: the protected header is the same for every
 * token of a key, so it is encoded once per key, and node:crypto signs synchronously (jose's async
 * WebCrypto path cost ~4× raw Ed25519). Any JOSE library verifies the result (tests use jose and PyJWT).
 */
export class StatusTokenSigner {
  readonly #keys: KeyStore;
  readonly #issuer: string;
  readonly #ttlSeconds: number;
  #prepared: PreparedKey | null = null;

  constructor(keys: KeyStore, issuer: string, ttlSeconds: number) {
    this.#keys = keys;
    this.#issuer = issuer;
    this.#ttlSeconds = ttlSeconds;
  }

  async sign(input: StatusTokenInput, now = Date.now()): Promise<IssuedToken> {
    const { header, key } = this.#prepare(await this.#keys.signingKey(now));
    const iat = Math.floor(now / 1000);
    const exp = iat + this.#ttlSeconds;
    const jti = nanoid();
    const claims: Record<string, unknown> = { vaccination_status: input.status, txn: input.sessionId };
    if (input.nonce !== null) claims.nonce = input.nonce;
    Object.assign(claims, { iss: this.#issuer, aud: input.clientId, sub: input.subject, iat, exp, jti });
    const signingInput = `${header}.${b64url(claims)}`;
    const signature = crypto.sign(null, Buffer.from(signingInput), key).toString('base64url');
    return { token: `${signingInput}.${signature}`, jti, expiresAt: exp * 1000 };
  }

  /** The current key, prepared once: a rotation hands over a new SigningKey object. */
  #prepare(signing: SigningKey): PreparedKey {
    if (this.#prepared?.source !== signing) {
      this.#prepared = {
        source: signing,
        header: b64url({ alg: SIGNING_ALG, kid: signing.kid, typ: STATUS_TOKEN_TYPE }),
        key: KeyObject.from(signing.privateKey),
      };
    }
    return this.#prepared;
  }
}
