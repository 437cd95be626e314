import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { type CryptoKey, type JWK, calculateJwkThumbprint, exportJWK, exportPKCS8, generateKeyPair, importPKCS8 } from 'jose';
import { ensurePrivateDir } from '../store/private-files.ts';

export const SIGNING_ALG = 'EdDSA';

/** When a key signs and stops signing: the manifest's entry, a row of signing_keys on PostgreSQL. */
export interface KeySchedule {
  kid: string;
  created_at: number;
  /** When this key starts signing: after it has been published long enough for verifiers' caches to see it. */
  signs_from: number;
  /** When a newer key took over signing; null for the newest key. */
  retired_at: number | null;
}

/** How long a new key is published before it signs, so no verifier meets a `kid` it has not fetched. */
export const PUBLISH_AHEAD_SECONDS = 60;

interface Manifest {
  keys: KeySchedule[];
}

/** FileKeyStore's files: in `<dataDir>/keys`, the manifest and, per key, its private PEM and public JWK. */
export const KEY_FILES = {
  dir: (dataDir: string) => path.join(dataDir, 'keys'),
  manifest: 'manifest.json',
  privatePem: (kid: string) => `${kid}.private.pem`,
  publicJwk: (kid: string) => `${kid}.public.jwk.json`,
};

export interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
}

export interface RotateOptions {
  /** Sign with the new key at once, without publishing it ahead (a compromised key). */
  immediate?: boolean;
}

/**
 * What the signer, the JWKS route, /healthz and the CLI use: FileKeyStore (the data dir) or
 * PostgresKeyStore (shared by every process on one database).
 */
export interface KeyStore {
  /** The key that signs at `now`. Fast: no I/O on the hot path once loaded. */
  signingKey(now?: number): Promise<SigningKey>;
  /** Public keys to publish at `now`: the signing key, keys about to sign, and retired keys whose tokens may still be valid. */
  publicKeys(now?: number): Promise<JWK[]>;
  /** Makes a new key (see FileKeyStore.rotate); returns its kid. */
  rotate(options?: RotateOptions, now?: number): Promise<string>;
  /** Stops background work (PostgreSQL's refresh); the store is not used after. */
  close(): Promise<void>;
}

/** A freshly generated key: its kid (the JWK thumbprint), public JWK as published, and PKCS#8 PEM. */
export interface GeneratedKey {
  kid: string;
  publicJwk: JWK;
  privatePem: string;
}

export async function generateSigningKey(): Promise<GeneratedKey> {
  const { privateKey, publicKey } = await generateKeyPair(SIGNING_ALG, { crv: 'Ed25519', extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  return { kid, publicJwk: { ...publicJwk, kid, alg: SIGNING_ALG, use: 'sig' }, privatePem: await exportPKCS8(privateKey) };
}

/**
 * The private key in `pem`, refusing one whose public half is not `kid`'s: a key file or row that
 * does not belong to its kid never signs (tokens under a kid no JWKS can verify).
 */
export async function importSigningKey(kid: string, pem: string): Promise<SigningKey> {
  const publicJwk = crypto.createPublicKey(crypto.createPrivateKey(pem)).export({ format: 'jwk' });
  if ((await calculateJwkThumbprint(publicJwk as JWK)) !== kid) throw new Error(`the private key stored for ${kid} is not that key's`);
  return { kid, privateKey: await importPKCS8(pem, SIGNING_ALG) };
}

/** When a key made at `now` starts signing. */
export function signsFromFor(options: RotateOptions, now: number): number {
  return options.immediate ? now : now + PUBLISH_AHEAD_SECONDS * 1000;
}

/** How long after retirement a key stays published: its last token's lifetime, plus a minute of clock skew. */
export function publishGraceMs(tokenTtlSeconds: number): number {
  return (tokenTtlSeconds + 60) * 1000;
}

/** The keys to publish at `now`, in schedule order. */
export function publishedSchedules<K extends KeySchedule>(keys: readonly K[], now: number, tokenTtlSeconds: number): K[] {
  const graceMs = publishGraceMs(tokenTtlSeconds);
  return keys.filter((k) => k.retired_at === null || k.retired_at + graceMs > now);
}

/**
 * The key that signs at `now`: of the keys that have started and are not retired, the latest to
 * start (the oldest key if none has started). A staged key retired before its time by an immediate
 * rotation (a compromise) never signs.
 */
export function currentSchedule<K extends KeySchedule>(keys: readonly K[], now: number): K {
  const live = keys.filter((k) => k.signs_from <= now && (k.retired_at === null || k.retired_at > now));
  const pick = live.length > 0 ? live : keys.slice(0, 1);
  const entry = pick.reduce<K | undefined>((a, b) => (a === undefined || b.signs_from >= a.signs_from ? b : a), undefined);
  if (!entry) throw new Error('no signing key is stored');
  return entry;
}

/**
 * Ed25519 signing keys in `<dataDir>/keys`: one PKCS#8 file per key (mode 0600), its public JWK,
 * and a manifest saying from when each key signs. Rotation publishes a new key at once, lets it
 * sign a minute later (verifiers' JWKS caches catch up meanwhile), and retires the old one,
 * whose public half stays published until every token it signed has expired.
 * Processes sharing the data dir pick up a rotation by watching the manifest's mtime.
 */
export class FileKeyStore implements KeyStore {
  readonly #dir: string;
  readonly #tokenTtlSeconds: number;
  /** Identity of the manifest last read: inode and mtime (every rotation renames a new file in). */
  #manifestVersion = '';
  #checkedAt = 0;
  #manifest: Manifest = { keys: [] };
  #signing: SigningKey | null = null;
  #publicJwks = new Map<string, JWK>();

  private constructor(dir: string, tokenTtlSeconds: number) {
    this.#dir = dir;
    this.#tokenTtlSeconds = tokenTtlSeconds;
  }

  /** Opens the key store, generating the first key on first start. */
  static async open(dataDir: string, tokenTtlSeconds: number): Promise<FileKeyStore> {
    const store = new FileKeyStore(KEY_FILES.dir(dataDir), tokenTtlSeconds);
    ensurePrivateDir(dataDir);
    ensurePrivateDir(store.#dir);
    if (!fs.existsSync(store.#manifestPath)) await store.rotate({ immediate: true });
    await store.#reload(true);
    return store;
  }

  get #manifestPath(): string {
    return path.join(this.#dir, KEY_FILES.manifest);
  }

  /** The key that signs now (re-reading the manifest at most once a second). */
  async signingKey(now = Date.now()): Promise<SigningKey> {
    await this.#reload(false);
    const current = currentSchedule(this.#manifest.keys, now);
    if (this.#signing?.kid !== current.kid) {
      const pem = fs.readFileSync(path.join(this.#dir, KEY_FILES.privatePem(current.kid)), 'utf8');
      this.#signing = await importSigningKey(current.kid, pem);
    }
    return this.#signing;
  }

  /** Public keys to publish: the signing key and retired keys whose tokens may still be valid. */
  async publicKeys(now = Date.now()): Promise<JWK[]> {
    await this.#reload(false);
    return publishedSchedules(this.#manifest.keys, now, this.#tokenTtlSeconds)
      .map((k) => this.#publicJwks.get(k.kid)!)
      .filter(Boolean);
  }

  /**
   * Generates a new key, published at once and signing after PUBLISH_AHEAD_SECONDS (`immediate`:
   * at once, for a compromised key). The previous key is retired then, and stays published for
   * its tokens' lifetime.
   */
  async rotate(options: RotateOptions = {}, now = Date.now()): Promise<string> {
    const signsFrom = signsFromFor(options, now);
    const { kid, publicJwk, privatePem } = await generateSigningKey();
    fs.writeFileSync(path.join(this.#dir, KEY_FILES.privatePem(kid)), privatePem, { mode: 0o600 });
    fs.writeFileSync(path.join(this.#dir, KEY_FILES.publicJwk(kid)), JSON.stringify(publicJwk));
    const manifest = this.#readManifest();
    for (const entry of manifest.keys) entry.retired_at = Math.min(entry.retired_at ?? signsFrom, signsFrom);
    manifest.keys.push({ kid, created_at: now, signs_from: signsFrom, retired_at: null });
    // Write-then-rename: a process reading the manifest never sees half of it.
    const tmp = `${this.#manifestPath}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(manifest, null, 2));
    fs.renameSync(tmp, this.#manifestPath);
    if (this.#manifestVersion !== '') await this.#reload(true); // this process sees its own rotation at once
    return kid;
  }

  async close(): Promise<void> {
    // Nothing runs in the background: rotations are seen by re-reading the manifest on use.
  }

  #readManifest(): Manifest {
    try {
      return JSON.parse(fs.readFileSync(this.#manifestPath, 'utf8')) as Manifest;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { keys: [] };
      throw err;
    }
  }

  async #reload(force: boolean): Promise<void> {
    const now = Date.now();
    if (!force && now - this.#checkedAt < 1000) return;
    this.#checkedAt = now;
    const stat = fs.statSync(this.#manifestPath);
    // The inode tells a rotation apart even where file times are too coarse to (two within a few ms).
    const version = `${stat.ino}:${stat.mtimeMs}`;
    if (!force && version === this.#manifestVersion) return;
    const manifest = this.#readManifest();
    currentSchedule(manifest.keys, Number.POSITIVE_INFINITY); // refuses a manifest with no key at all
    const jwks = new Map<string, JWK>();
    for (const entry of manifest.keys) {
      const file = path.join(this.#dir, KEY_FILES.publicJwk(entry.kid));
      if (fs.existsSync(file)) jwks.set(entry.kid, JSON.parse(fs.readFileSync(file, 'utf8')) as JWK);
    }
    this.#publicJwks = jwks;
    this.#manifest = manifest;
    this.#manifestVersion = version;
  }
}

/**
 * Kept so `KeyStore.open(dataDir, ttl)` (services.ts, cli/main.ts) works until they call
 * FileKeyStore.open / the store chosen by config; the interface KeyStore is the type to use.
 */
export const KeyStore = FileKeyStore;
