import crypto from 'node:crypto';
import type { Secrets } from '../store/secrets.ts';

/** How a signing secret is shown to a verifier (Standard Webhooks: `whsec_` + base64 of the key). */
export const WEBHOOK_SECRET_PREFIX = 'whsec_';
/** 32 random bytes (the specification asks for 24 to 64). */
export const WEBHOOK_SECRET_BYTES = 32;

/** A fresh signing key: its bytes (to seal and store) and its text (printed once). */
export function newWebhookSecret(): { bytes: Buffer; text: string } {
  const bytes = crypto.randomBytes(WEBHOOK_SECRET_BYTES);
  return { bytes, text: webhookSecretText(bytes) };
}

export function webhookSecretText(bytes: Buffer): string {
  return WEBHOOK_SECRET_PREFIX + bytes.toString('base64');
}

/** The key bytes of a `whsec_…` secret (the prefix is optional, as in the reference libraries). */
export function webhookSecretBytes(text: string): Buffer {
  const encoded = text.startsWith(WEBHOOK_SECRET_PREFIX) ? text.slice(WEBHOOK_SECRET_PREFIX.length) : text;
  const bytes = Buffer.from(encoded, 'base64');
  if (bytes.length < 24 || bytes.length > 64) throw new Error('a webhook secret is 24 to 64 bytes, base64-encoded after whsec_');
  return bytes;
}

/**
 * The key that seals webhook signing secrets at rest, derived (HKDF-SHA256) from the API-key
 * hashing secret with a label of its own: every process that shares `secrets.json` gets the same
 * key, data dirs made before webhooks existed keep working, and nothing new is written there.
 */
export function deriveWebhookSealKey(secrets: Pick<Secrets, 'apiKeyKey'>): Buffer {
  return Buffer.from(crypto.hkdfSync('sha256', secrets.apiKeyKey, Buffer.alloc(0), 'kycvs webhook secret seal v1', 32));
}

const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * AES-256-GCM for the signing secrets. A signing secret must be usable to sign, so unlike API keys
 * it cannot be stored as a one-way hash: the database holds it sealed under a key that lives in
 * `secrets.json`, bound (as associated data) to its client, so a copy of the database alone gives
 * no secret and a sealed secret moved to another client's row does not open.
 */
export class SecretSealer {
  readonly #key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== 32) throw new Error('the seal key is 32 bytes');
    this.#key = key;
  }

  seal(plain: Buffer, context: string): Buffer {
    const iv = crypto.randomBytes(IV_BYTES);
    const cipher = crypto.createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plain), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]);
  }

  /** Throws when the blob was not sealed by this key for this context. */
  open(sealed: Buffer, context: string): Buffer {
    const decipher = crypto.createDecipheriv('aes-256-gcm', this.#key, sealed.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(sealed.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(sealed.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
  }
}
