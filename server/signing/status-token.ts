import { SignJWT } from 'jose';
import { nanoid } from 'nanoid';
import { STATUS_TOKEN_TYPE, type VaccinationStatus } from '../../protocol/api.ts';
import { type KeyStore, SIGNING_ALG } from './key-store.ts';

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

/** Signs status tokens: the status and pseudonymous identifiers only, never a name, mobile, date or vaccine. */
export class StatusTokenSigner {
  readonly #keys: KeyStore;
  readonly #issuer: string;
  readonly #ttlSeconds: number;

  constructor(keys: KeyStore, issuer: string, ttlSeconds: number) {
    this.#keys = keys;
    this.#issuer = issuer;
    this.#ttlSeconds = ttlSeconds;
  }

  async sign(input: StatusTokenInput, now = Date.now()): Promise<IssuedToken> {
    const { kid, privateKey } = await this.#keys.signingKey();
    const iat = Math.floor(now / 1000);
    const exp = iat + this.#ttlSeconds;
    const jti = nanoid();
    const claims: Record<string, unknown> = { vaccination_status: input.status, txn: input.sessionId };
    if (input.nonce !== null) claims.nonce = input.nonce;
    const token = await new SignJWT(claims)
      .setProtectedHeader({ alg: SIGNING_ALG, kid, typ: STATUS_TOKEN_TYPE })
      .setIssuer(this.#issuer)
      .setAudience(input.clientId)
      .setSubject(input.subject)
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .setJti(jti)
      .sign(privateKey);
    return { token, jti, expiresAt: exp * 1000 };
  }
}
