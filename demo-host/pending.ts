import crypto from 'node:crypto';

/**
 * Verifications this backend started and has not seen finish: what it must find again in the
 * token (nonce, session). In memory because this is a demo; a real host keeps it with the booking.
 */
export class PendingVerifications<T> {
  readonly #entries = new Map<string, { value: T; expires: number }>();
  readonly #ttlMs: number;

  constructor(ttlMs = 15 * 60_000) {
    this.#ttlMs = ttlMs;
  }

  add(key: string, value: T): void {
    const now = Date.now();
    for (const [k, entry] of this.#entries) if (entry.expires < now) this.#entries.delete(k);
    this.#entries.set(key, { value, expires: now + this.#ttlMs });
  }

  /** The value, removed: each verification is used once. */
  take(key: string): T | null {
    const entry = this.#entries.get(key);
    this.#entries.delete(key);
    return entry && entry.expires >= Date.now() ? entry.value : null;
  }
}

export const newNonce = (): string => crypto.randomBytes(16).toString('base64url');
