import fs from 'node:fs';
import path from 'node:path';
import { type CryptoKey, type JWK, calculateJwkThumbprint, exportJWK, exportPKCS8, generateKeyPair, importPKCS8 } from 'jose';
import { ensurePrivateDir } from '../store/private-files.ts';

export const SIGNING_ALG = 'EdDSA';

interface ManifestEntry {
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
  keys: ManifestEntry[];
}

export interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
}

/**
 * Ed25519 signing keys in `<dataDir>/keys`: one PKCS#8 file per key (mode 0600), its public JWK,
 * and a manifest saying from when each key signs. Rotation publishes a new key at once, lets it
 * sign a minute later (verifiers' JWKS caches catch up meanwhile), and retires the old one,
 * whose public half stays published until every token it signed has expired.
 * Processes sharing the data dir pick up a rotation by watching the manifest's mtime.
 */
export class KeyStore {
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
  static async open(dataDir: string, tokenTtlSeconds: number): Promise<KeyStore> {
    const store = new KeyStore(path.join(dataDir, 'keys'), tokenTtlSeconds);
    ensurePrivateDir(dataDir);
    ensurePrivateDir(store.#dir);
    if (!fs.existsSync(store.#manifestPath)) await store.rotate({ immediate: true });
    await store.#reload(true);
    return store;
  }

  get #manifestPath(): string {
    return path.join(this.#dir, 'manifest.json');
  }

  /** The key that signs now (re-reading the manifest at most once a second). */
  async signingKey(now = Date.now()): Promise<SigningKey> {
    await this.#reload(false);
    const current = currentEntry(this.#manifest, now);
    if (this.#signing?.kid !== current.kid) {
      const pem = fs.readFileSync(path.join(this.#dir, `${current.kid}.private.pem`), 'utf8');
      this.#signing = { kid: current.kid, privateKey: await importPKCS8(pem, SIGNING_ALG) };
    }
    return this.#signing;
  }

  /** Public keys to publish: the signing key and retired keys whose tokens may still be valid. */
  async publicKeys(now = Date.now()): Promise<JWK[]> {
    await this.#reload(false);
    const graceMs = (this.#tokenTtlSeconds + 60) * 1000;
    return this.#manifest.keys
      .filter((k) => k.retired_at === null || k.retired_at + graceMs > now)
      .map((k) => this.#publicJwks.get(k.kid)!)
      .filter(Boolean);
  }

  /**
   * Generates a new key, published at once and signing after PUBLISH_AHEAD_SECONDS (`immediate`:
   * at once, for a compromised key). The previous key is retired then, and stays published for
   * its tokens' lifetime.
   */
  async rotate(options: { immediate?: boolean } = {}, now = Date.now()): Promise<string> {
    const signsFrom = options.immediate ? now : now + PUBLISH_AHEAD_SECONDS * 1000;
    const { privateKey, publicKey } = await generateKeyPair(SIGNING_ALG, { crv: 'Ed25519', extractable: true });
    const publicJwk = await exportJWK(publicKey);
    const kid = await calculateJwkThumbprint(publicJwk);
    const jwk: JWK = { ...publicJwk, kid, alg: SIGNING_ALG, use: 'sig' };
    fs.writeFileSync(path.join(this.#dir, `${kid}.private.pem`), await exportPKCS8(privateKey), { mode: 0o600 });
    fs.writeFileSync(path.join(this.#dir, `${kid}.public.jwk.json`), JSON.stringify(jwk));
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
    currentEntry(manifest, Number.POSITIVE_INFINITY); // refuses a manifest with no key at all
    const jwks = new Map<string, JWK>();
    for (const entry of manifest.keys) {
      const file = path.join(this.#dir, `${entry.kid}.public.jwk.json`);
      if (fs.existsSync(file)) jwks.set(entry.kid, JSON.parse(fs.readFileSync(file, 'utf8')) as JWK);
    }
    this.#publicJwks = jwks;
    this.#manifest = manifest;
    this.#manifestVersion = version;
  }
}

/** The key that signs at `now`: the latest whose signing time has come (the oldest if none has). */
function currentEntry(manifest: Manifest, now: number): ManifestEntry {
  const started = manifest.keys.filter((k) => k.signs_from <= now);
  const pool = started.length > 0 ? started : manifest.keys.slice(0, 1);
  const entry = pool.reduce<ManifestEntry | undefined>((a, b) => (a === undefined || b.signs_from >= a.signs_from ? b : a), undefined);
  if (!entry) throw new Error('the key manifest lists no key');
  return entry;
}
