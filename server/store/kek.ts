import crypto from 'node:crypto';
import fs from 'node:fs';
import { inspect } from 'node:util';

// The key-encryption key (KEK): on PostgreSQL, signing keys and hashing secrets live in the
// database, sealed under a key that is NOT in the database (KYCVS_KEK or KYCVS_KEK_FILE), so a
// copy of the database or a backup alone gives no private key and no secret.
//
// A sealed record (AES-256-GCM envelope):
//   version (1 byte) ‖ KEK id (8 bytes) ‖ nonce (12 random bytes) ‖ ciphertext ‖ tag (16 bytes)
// The associated data binds the version, the KEK id and the record's identity (e.g. the key's kid
// or the secret's name): a sealed value copied into another row does not open there.

export const KEK_BYTES = 32;
const FORMAT_VERSION = 1;
const KEK_ID_BYTES = 8;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = 1 + KEK_ID_BYTES + NONCE_BYTES;

/** How to make one, said in every message about a missing or malformed KEK. */
const HOW_TO_MAKE = 'set KYCVS_KEK to the output of `openssl rand -base64 32` (or KYCVS_KEK_FILE to a file holding it), the same on every process';

export type KekErrorCode =
  /** PostgreSQL is configured but no KEK is. */
  | 'kek_missing'
  /** KYCVS_KEK / KYCVS_KEK_FILE is set but is not 32 bytes of base64 (or the file cannot be read). */
  | 'kek_invalid'
  /** The record was sealed under another KEK: this process was given a different one than the cluster's. */
  | 'kek_mismatch'
  /** Right KEK, but the record does not open: altered, truncated, or moved to another row. */
  | 'sealed_record_invalid';

export class KekError extends Error {
  readonly code: KekErrorCode;
  constructor(code: KekErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KekError';
    this.code = code;
  }
}

/** The KEK, opaque: never printed by console.log, JSON.stringify or a logger serialising the config. */
export class KeyEncryptionKey {
  readonly #key: Buffer;
  /**
   * Names the KEK inside every sealed record without revealing it (a truncated HMAC of a fixed
   * label): a record sealed under another KEK is told apart from a tampered one.
   */
  readonly id: Buffer;
  /**
   * During a KEK change: the KEK being replaced, which opens (never seals) the records not yet
   * re-sealed (`db reseal`). Set from KYCVS_KEK_PREVIOUS / KYCVS_KEK_PREVIOUS_FILE.
   */
  readonly #previous: KeyEncryptionKey | null;

  private constructor(key: Buffer, previous: KeyEncryptionKey | null = null) {
    this.#key = Buffer.from(key);
    this.id = crypto.createHmac('sha256', this.#key).update('kycvs kek id v1').digest().subarray(0, KEK_ID_BYTES);
    this.#previous = previous;
  }

  /** This KEK, also opening what `previous` sealed: for the time between a KEK change and `db reseal`. */
  withPrevious(previous: KeyEncryptionKey): KeyEncryptionKey {
    if (previous.id.equals(this.id)) throw new KekError('kek_invalid', 'the previous key-encryption key is the same as the current one');
    return new KeyEncryptionKey(this.#key, previous.#previous ? new KeyEncryptionKey(previous.#key) : previous);
  }

  /** Whether `sealed` is sealed under this KEK itself (not the previous one): what `db reseal` leaves alone. */
  sealedUnderThis(sealed: Buffer): boolean {
    return sealed.length >= HEADER_BYTES && sealed.subarray(1, 1 + KEK_ID_BYTES).equals(this.id);
  }

  static fromBytes(key: Buffer): KeyEncryptionKey {
    if (key.length !== KEK_BYTES) throw new KekError('kek_invalid', `a key-encryption key is ${KEK_BYTES} bytes, got ${key.length}`);
    return new KeyEncryptionKey(key);
  }

  /** From base64 (standard or URL-safe, padding optional) of exactly 32 bytes. `source` names where it came from, in errors. */
  static fromBase64(text: string, source: string): KeyEncryptionKey {
    const trimmed = text.trim();
    // Buffer.from(…, 'base64') skips characters it does not know: check the shape first, so a typo is refused, not decoded.
    if (!/^[A-Za-z0-9+/_-]{43}=?$/.test(trimmed)) {
      throw new KekError('kek_invalid', `${source} must be base64 of ${KEK_BYTES} random bytes: ${HOW_TO_MAKE}`);
    }
    return new KeyEncryptionKey(Buffer.from(trimmed, 'base64'));
  }

  /** Seals `plaintext` for the record named `context` (e.g. "signing-key:<kid>"). */
  seal(plaintext: Buffer, context: string): Buffer {
    const header = Buffer.alloc(HEADER_BYTES);
    header[0] = FORMAT_VERSION;
    this.id.copy(header, 1);
    crypto.randomFillSync(header, 1 + KEK_ID_BYTES, NONCE_BYTES);
    const cipher = crypto.createCipheriv('aes-256-gcm', this.#key, header.subarray(1 + KEK_ID_BYTES), { authTagLength: TAG_BYTES });
    cipher.setAAD(associatedData(header, context));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return Buffer.concat([header, body, cipher.getAuthTag()]);
  }

  /**
   * The plaintext of a record sealed by `seal` with the same `context`. Throws a KekError, never
   * returns bytes that did not authenticate: `kek_mismatch` for another KEK's record,
   * `sealed_record_invalid` for anything else that does not open.
   */
  open(sealed: Buffer, context: string): Buffer {
    if (sealed.length < HEADER_BYTES + TAG_BYTES || sealed[0] !== FORMAT_VERSION) {
      throw new KekError('sealed_record_invalid', `${context}: not a sealed record of a version this service reads`);
    }
    const header = sealed.subarray(0, HEADER_BYTES);
    if (!crypto.timingSafeEqual(header.subarray(1, 1 + KEK_ID_BYTES), this.id)) {
      if (this.#previous?.id.equals(header.subarray(1, 1 + KEK_ID_BYTES))) return this.#previous.open(sealed, context);
      throw new KekError(
        'kek_mismatch',
        `${context} was sealed under another key-encryption key: KYCVS_KEK (or KYCVS_KEK_FILE) must be the one this database was set up with, the same on every process`,
      );
    }
    const decipher = crypto.createDecipheriv('aes-256-gcm', this.#key, header.subarray(1 + KEK_ID_BYTES), { authTagLength: TAG_BYTES });
    decipher.setAAD(associatedData(header, context));
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(sealed.subarray(HEADER_BYTES, sealed.length - TAG_BYTES)), decipher.final()]);
    } catch (err) {
      throw new KekError('sealed_record_invalid', `${context}: the sealed record does not authenticate (altered, or copied from another record)`, {
        cause: err,
      });
    }
  }

  toJSON(): string {
    return '[KeyEncryptionKey]';
  }

  [inspect.custom](): string {
    return 'KeyEncryptionKey [redacted]';
  }
}

function associatedData(header: Buffer, context: string): Buffer {
  // version and KEK id (not the nonce: GCM authenticates that itself), then the record's identity.
  return Buffer.concat([header.subarray(0, 1 + KEK_ID_BYTES), Buffer.from(`kycvs\0${context}`, 'utf8')]);
}

/**
 * The KEK from the environment: KYCVS_KEK (base64 of 32 bytes) or KYCVS_KEK_FILE (a file holding
 * that, e.g. a mounted secret); null when neither is set. During a KEK change, KYCVS_KEK_PREVIOUS
 * (or KYCVS_KEK_PREVIOUS_FILE) is the one being replaced: it opens records, never seals them.
 * Never echoes a value.
 */
export function kekFromEnv(env: NodeJS.ProcessEnv): KeyEncryptionKey | null {
  const current = kekFrom(env, 'KYCVS_KEK');
  const previous = kekFrom(env, 'KYCVS_KEK_PREVIOUS');
  if (previous && !current) throw new KekError('kek_invalid', 'KYCVS_KEK_PREVIOUS is set without KYCVS_KEK (the new key-encryption key)');
  return current && previous ? current.withPrevious(previous) : current;
}

/** The KEK in `name` or `${name}_FILE`; null when neither is set. */
function kekFrom(env: NodeJS.ProcessEnv, name: string): KeyEncryptionKey | null {
  const inline = (env[name] ?? '').trim();
  const file = (env[`${name}_FILE`] ?? '').trim();
  if (inline !== '' && file !== '') throw new KekError('kek_invalid', `set ${name} or ${name}_FILE, not both`);
  if (inline !== '') return KeyEncryptionKey.fromBase64(inline, name);
  if (file === '') return null;
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new KekError('kek_invalid', `${name}_FILE: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`, { cause: err });
  }
  return KeyEncryptionKey.fromBase64(text, `${name}_FILE (${file})`);
}

/** `kek`, or the one-line refusal to start on PostgreSQL without one. */
export function requireKek(kek: KeyEncryptionKey | null): KeyEncryptionKey {
  if (kek) return kek;
  throw new KekError(
    'kek_missing',
    `KYCVS_DATABASE_URL is set, so signing keys and hashing secrets are kept in PostgreSQL sealed under a key-encryption key: ${HOW_TO_MAKE}`,
  );
}
