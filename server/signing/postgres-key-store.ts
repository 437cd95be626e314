import type { JWK } from 'jose';
import type { KeyEncryptionKey } from '../store/kek.ts';
import { inTransaction, query, type Pool } from '../store/postgres/pool.ts';
import { DatabaseUnavailableError } from '../store/unavailable.ts';
import {
  currentSchedule,
  generateSigningKey,
  importSigningKey,
  type KeySchedule,
  type KeyStore,
  PUBLISH_AHEAD_SECONDS,
  publishedSchedules,
  publishGraceMs,
  type RotateOptions,
  type SigningKey,
  signsFromFor,
} from './key-store.ts';

/**
 * How often every process re-reads the key set. The bound that makes a rotation safe across
 * processes: a key is inserted PUBLISH_AHEAD_SECONDS (60 s) before it signs, and every process
 * reads it within one interval plus one statement (10 s + at most the 5 s statement timeout), so
 * every process's JWKS has it ~45 s before any process signs with it — also with clocks up to
 * that far apart, since each process compares signs_from with its own clock.
 */
export const KEY_REFRESH_INTERVAL_MS = 10_000;

/**
 * A process whose key set is older than this (its refreshes failing: the database away) stops
 * signing and publishing (503, and /healthz fails): it can no longer vouch that its JWKS has every
 * key another process may sign with, nor that it signs with the current key. Half the publish
 * lead, so a process that last refreshed just before a rotation still fails before the new key
 * signs; a few failed refreshes in a row are tolerated before that.
 */
export const MAX_KEY_SET_AGE_MS = (PUBLISH_AHEAD_SECONDS * 1000) / 2;

/** Associated data of a sealed private key: its kid, so a sealed key moved to another row does not open. */
export const keySealContext = (kid: string) => `signing-key:${kid}`;

/**
 * A rotation losing the race for its generation number (unique_violation) tries again with the
 * next one. Each loss means another rotation committed, so n rotations at once need at most n
 * attempts each: this allows 20 (rotation is an operator's command, not a hot path).
 */
const ROTATE_ATTEMPTS = 20;

interface KeyRow extends KeySchedule {
  generation: number;
  public_jwk: JWK;
  private_key_sealed: Buffer;
}

export interface PostgresKeyStoreOptions {
  pool: Pool;
  kek: KeyEncryptionKey;
  tokenTtlSeconds: number;
  /** Default KEY_REFRESH_INTERVAL_MS; must stay below the maximum age (tests shorten it). */
  refreshIntervalMs?: number;
  /** Default MAX_KEY_SET_AGE_MS, which is also its upper bound (tests shorten it). */
  maxKeySetAgeMs?: number;
  /** Told about a background refresh that failed (the store keeps its key set until MAX_KEY_SET_AGE_MS). */
  onRefreshError?: (err: unknown) => void;
}

/**
 * Ed25519 signing keys in PostgreSQL (table signing_keys, migration 002), shared by every service
 * process: the same schedule as FileKeyStore (publish ahead, then sign; retired keys published
 * until their tokens expire), the private keys sealed under the KEK. Each process holds the key set
 * in memory and refreshes it in the background every KEY_REFRESH_INTERVAL_MS, so signing and the
 * JWKS never wait for the database; a rotation by any process (or `keys rotate`) reaches all of
 * them within that interval.
 */
export class PostgresKeyStore implements KeyStore {
  readonly #pool: Pool;
  readonly #kek: KeyEncryptionKey;
  readonly #tokenTtlSeconds: number;
  readonly #onRefreshError: (err: unknown) => void;
  readonly #maxAgeMs: number;
  #keys: KeyRow[] = [];
  /** Unsealed private keys by kid: the current and any staged key, ready before they sign. */
  #unsealed = new Map<string, SigningKey>();
  #refreshedAt = 0;
  #refreshing: Promise<void> | null = null;
  #timer: NodeJS.Timeout | null = null;

  private constructor(options: PostgresKeyStoreOptions) {
    this.#pool = options.pool;
    this.#kek = options.kek;
    this.#tokenTtlSeconds = options.tokenTtlSeconds;
    this.#onRefreshError = options.onRefreshError ?? (() => {});
    this.#maxAgeMs = options.maxKeySetAgeMs ?? MAX_KEY_SET_AGE_MS;
  }

  /**
   * Opens the store: makes the first key if the database has none (once cluster-wide, whichever
   * process gets there first), loads and unseals the key set, and starts the background refresh.
   * Throws a KekError (kek_mismatch) when the keys were sealed under another KEK.
   */
  static async open(options: PostgresKeyStoreOptions): Promise<PostgresKeyStore> {
    const intervalMs = options.refreshIntervalMs ?? KEY_REFRESH_INTERVAL_MS;
    const maxAgeMs = options.maxKeySetAgeMs ?? MAX_KEY_SET_AGE_MS;
    // The bound above: without it a rotation could sign before some process's JWKS shows the key.
    if (!(maxAgeMs <= MAX_KEY_SET_AGE_MS && intervalMs > 0 && intervalMs < maxAgeMs)) {
      throw new RangeError(`need 0 < refresh interval (${intervalMs} ms) < maximum key set age (${maxAgeMs} ms) <= ${MAX_KEY_SET_AGE_MS} ms`);
    }
    const store = new PostgresKeyStore(options);
    await store.#makeFirstKey();
    await store.refresh();
    store.#timer = setInterval(() => {
      store.refresh().catch((err: unknown) => store.#onRefreshError(err));
    }, intervalMs);
    store.#timer.unref(); // never what keeps a process alive
    return store;
  }

  /** The key that signs at `now`, from memory: no database round trip. */
  async signingKey(now = Date.now()): Promise<SigningKey> {
    this.#assertFresh();
    const current = currentSchedule(this.#keys, now);
    // Prepared by refresh() for every key not retired; unsealed here only for a `now` in the past.
    return this.#unsealed.get(current.kid) ?? (await this.#unseal(current));
  }

  async publicKeys(now = Date.now()): Promise<JWK[]> {
    this.#assertFresh();
    return publishedSchedules(this.#keys, now, this.#tokenTtlSeconds).map((k) => k.public_jwk);
  }

  /**
   * Inserts the next key, signing from now + PUBLISH_AHEAD_SECONDS (`immediate`: now), and retires
   * every earlier key at that time, in one transaction; this process sees it at once, the others
   * within the refresh interval. Two rotations at once both happen, one after the other.
   */
  async rotate(options: RotateOptions = {}, now = Date.now()): Promise<string> {
    const signsFrom = signsFromFor(options, now);
    const { kid, publicJwk, privatePem } = await generateSigningKey();
    const sealed = this.#kek.seal(Buffer.from(privatePem, 'utf8'), keySealContext(kid));
    for (let attempt = 1; ; attempt++) {
      try {
        await inTransaction(this.#pool, async (client) => {
          const { rows } = await client.query<{ last: number }>('SELECT COALESCE(max(generation), 0) AS last FROM signing_keys');
          const generation = rows[0]!.last + 1;
          // Inserted first: a concurrent rotation that took this generation makes it fail here, before any update.
          await client.query(
            `INSERT INTO signing_keys (generation, kid, public_jwk, private_key_sealed, created_at, signs_from, retired_at)
             VALUES ($1, $2, $3, $4, $5, $6, NULL)`,
            [generation, kid, JSON.stringify(publicJwk), sealed, now, signsFrom],
          );
          await client.query(
            'UPDATE signing_keys SET retired_at = LEAST(COALESCE(retired_at, $2), $2) WHERE generation < $1 AND (retired_at IS NULL OR retired_at > $2)',
            [generation, signsFrom],
          );
        });
        break;
      } catch (err) {
        const lostRace = isUniqueViolation(err, 'signing_keys_pkey') || (err instanceof DatabaseUnavailableError && err.code === 'database_conflict');
        if (!lostRace || attempt >= ROTATE_ATTEMPTS) throw err;
      }
    }
    await this.refresh();
    return kid;
  }

  /**
   * Re-reads the key set (keys not retired, or retired recently enough to be published) and
   * unseals any key that has not signed yet, so it is ready before its time. Runs in the
   * background; concurrent calls share one read.
   */
  refresh(): Promise<void> {
    this.#refreshing ??= this.#load().finally(() => {
      this.#refreshing = null;
    });
    return this.#refreshing;
  }

  async close(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.#refreshing?.catch(() => {});
  }

  async #load(): Promise<void> {
    const startedAt = Date.now();
    // A key retired longer ago than its tokens live is published by no process: not read.
    const { rows } = await query<KeyRow>(
      this.#pool,
      `SELECT generation, kid, public_jwk, private_key_sealed, created_at, signs_from, retired_at
         FROM signing_keys WHERE retired_at IS NULL OR retired_at > $1 ORDER BY generation`,
      [startedAt - publishGraceMs(this.#tokenTtlSeconds)],
    );
    if (rows.length === 0) throw new Error('signing_keys holds no key that signs');
    const unsealed = new Map<string, SigningKey>();
    for (const row of rows) {
      const ready = this.#unsealed.get(row.kid);
      if (ready) unsealed.set(row.kid, ready);
      else if (row.retired_at === null || row.retired_at > startedAt) unsealed.set(row.kid, await this.#unseal(row));
    }
    // Swapped whole: a reader sees the old set or the new one, never half of each.
    this.#keys = rows;
    this.#unsealed = unsealed;
    this.#refreshedAt = startedAt;
  }

  async #unseal(row: KeyRow): Promise<SigningKey> {
    const pem = this.#kek.open(row.private_key_sealed, keySealContext(row.kid)).toString('utf8');
    return importSigningKey(row.kid, pem);
  }

  /** The first key, signing at once, if there is none: N processes starting together insert generation 1 once. */
  async #makeFirstKey(): Promise<void> {
    const existing = await query(this.#pool, 'SELECT 1 FROM signing_keys LIMIT 1');
    if (existing.rowCount) return;
    const now = Date.now();
    const { kid, publicJwk, privatePem } = await generateSigningKey();
    await query(
      this.#pool,
      `INSERT INTO signing_keys (generation, kid, public_jwk, private_key_sealed, created_at, signs_from, retired_at)
       VALUES (1, $1, $2, $3, $4, $4, NULL) ON CONFLICT (generation) DO NOTHING`,
      [kid, JSON.stringify(publicJwk), this.#kek.seal(Buffer.from(privatePem, 'utf8'), keySealContext(kid)), now],
    );
  }

  #assertFresh(): void {
    if (Date.now() - this.#refreshedAt > this.#maxAgeMs) {
      throw new DatabaseUnavailableError('database_unavailable', 'The signing keys could not be refreshed from the database.', 5);
    }
  }
}

function isUniqueViolation(err: unknown, constraint: string): boolean {
  const e = err as { code?: unknown; constraint?: unknown };
  return e?.code === '23505' && e.constraint === constraint;
}
