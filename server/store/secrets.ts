import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ensurePrivateDir, tightenFile } from './private-files.ts';

/**
 * Keys for the keyed hashes (HMAC-SHA256) the service stores instead of plaintext: a stolen
 * database alone gives no mobile numbers, OTPs or API keys, and no link between pseudonyms.
 * Each purpose has its own key so one hash can never be replayed as another.
 */
export interface Secrets {
  mobileKey: Buffer;
  otpKey: Buffer;
  subjectKey: Buffer;
  apiKeyKey: Buffer;
}

export const SECRET_NAMES = ['mobileKey', 'otpKey', 'subjectKey', 'apiKeyKey'] as const;
export type SecretName = (typeof SECRET_NAMES)[number];

/** Bytes of a newly generated secret. */
const SECRET_BYTES = 32;
/** The shortest secret accepted from storage (what 40 base64url characters hold). */
const MIN_SECRET_BYTES = 30;

/** A fresh value for a secret: what every store generates on first start. */
export function generateSecretValue(): Buffer {
  return crypto.randomBytes(SECRET_BYTES);
}

/**
 * The Secrets object from stored values, refusing a missing or short one: shared by the data dir's
 * file and the PostgreSQL store. `where` names the storage in the error.
 */
export function secretsFromValues(values: ReadonlyMap<string, Buffer>, where: string): Secrets {
  const entries = SECRET_NAMES.map((n) => {
    const value = values.get(n);
    if (!value || value.length < MIN_SECRET_BYTES) throw new Error(`${where}: ${n} is missing or too short`);
    return [n, value] as const;
  });
  return Object.fromEntries(entries) as unknown as Secrets;
}

/** A secrets.json that cannot be read, parsed, or lacks a secret. */
export class SecretsFileError extends Error {
  readonly code = 'secrets_file_invalid';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SecretsFileError';
  }
}

/** The data dir's secrets file as it is, never creating one: what `db adopt-secrets` moves into PostgreSQL. */
export function readSecretsFile(dataDir: string): Secrets {
  const file = path.join(dataDir, 'secrets.json');
  try {
    return secretsFromStored(JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>, file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? `${file}: no such file (is this the SQLite deployment's data dir?)` : code ? `${file}: ${code}` : err instanceof SyntaxError ? `${file}: not JSON` : (err as Error).message;
    throw new SecretsFileError(why, { cause: err });
  }
}

function secretsFromStored(stored: Record<string, unknown>, file: string): Secrets {
  const values = new Map<string, Buffer>();
  for (const n of SECRET_NAMES) {
    const value = stored[n];
    if (typeof value === 'string') values.set(n, Buffer.from(value, 'base64url'));
  }
  return secretsFromValues(values, file);
}

/**
 * Loads the data dir's secrets file, creating it (mode 0600) on first start. Every entry point
 * (service, CLI) calls this first, so it is also where the data dir is made (or tightened to) 0700.
 */
export function loadSecrets(dataDir: string): Secrets {
  const file = path.join(dataDir, 'secrets.json');
  ensurePrivateDir(dataDir);
  tightenFile(file);
  if (!fs.existsSync(file)) {
    const fresh = Object.fromEntries(SECRET_NAMES.map((n) => [n, generateSecretValue().toString('base64url')]));
    try {
      // 'wx' fails if another process created it first; then we read theirs.
      fs.writeFileSync(file, JSON.stringify(fresh, null, 2), { mode: 0o600, flag: 'wx' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  return secretsFromStored(JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>, file);
}

/** Whether `stored` is the keyed hash of `parts`, compared in constant time. */
export function keyedHashMatches(key: Buffer, stored: Buffer, ...parts: string[]): boolean {
  const candidate = keyedHash(key, ...parts);
  return candidate.length === stored.length && crypto.timingSafeEqual(candidate, stored);
}

export function keyedHash(key: Buffer, ...parts: string[]): Buffer {
  const mac = crypto.createHmac('sha256', key);
  // Length-prefix each part so ("ab","c") and ("a","bc") never collide.
  for (const part of parts) mac.update(`${Buffer.byteLength(part)}:${part}`);
  return mac.digest();
}
