// Verifies a webhook the KYC-VS service (or any sender) signed per the Standard Webhooks
// specification: headers `webhook-id`, `webhook-timestamp` (integer Unix seconds) and
// `webhook-signature` (space-separated `v1,<base64 HMAC-SHA256>` entries over
// "<id>.<timestamp>.<body>"), the secret `whsec_<base64>`; the timestamp within a tolerance.
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Why a webhook was refused. Never retryable for the sender's delivery: answer 401 (or 400). */
export type WebhookErrorCode =
  /** The secret is not `whsec_<base64>` (or plain base64) of at least one byte. */
  | 'secret_invalid'
  /** `webhook-id`, `webhook-timestamp` or `webhook-signature` is absent or empty. */
  | 'header_missing'
  /** A header is not what the specification says (an id with a dot or space, several values). */
  | 'header_invalid'
  /** `webhook-timestamp` is not an integer number of seconds. */
  | 'timestamp_invalid'
  /** Older than the tolerance: a replay, or a delivery that took too long. */
  | 'timestamp_too_old'
  /** Further in the future than the tolerance: the sender's clock or a forgery. */
  | 'timestamp_too_new'
  /** No `v1` entry matches the body under the secret(s). */
  | 'signature_invalid'
  /** The body verified but is not JSON. */
  | 'payload_invalid';

export class WebhookError extends Error {
  readonly code: WebhookErrorCode;
  constructor(code: WebhookErrorCode, message: string) {
    super(message);
    this.name = 'WebhookError';
    this.code = code;
  }
}

/** Request headers as Express/Node (`req.headers`), a plain object, or a fetch `Headers`. */
export type WebhookHeaders =
  | { get(name: string): string | null }
  | Readonly<Record<string, string | readonly string[] | undefined>>;

export interface VerifyWebhookOptions {
  /** Largest accepted difference between `webhook-timestamp` and now, in seconds (default 300). */
  toleranceSeconds?: number;
  /** "Now", for tests: a Date or milliseconds since the epoch (default the clock). */
  now?: Date | number;
}

export interface VerifiedWebhook<T = unknown> {
  /** `webhook-id`: the same for every retry of one message. Keep it a while to process each message once. */
  id: string;
  /** `webhook-timestamp`, Unix seconds. */
  timestamp: number;
  /** The body, parsed as JSON (undefined for an empty body). */
  payload: T;
}

export const DEFAULT_WEBHOOK_TOLERANCE_SECONDS = 5 * 60;

const SECRET_PREFIX = 'whsec_';
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const TIMESTAMP = /^\d{1,15}$/;

/**
 * Checks a delivery's signature, then its timestamp, and returns the parsed body.
 *
 * Pass the body exactly as received (`express.raw({ type: 'application/json' })` or
 * `express.text(...)`), not JSON parsed and serialised again: one changed byte fails it.
 * `secret` may be a list (several keys while you rotate). Throws `WebhookError` with a `code`.
 */
export function verifyWebhook<T = unknown>(
  body: string | Uint8Array,
  headers: WebhookHeaders,
  secret: string | readonly string[],
  options: VerifyWebhookOptions = {},
): VerifiedWebhook<T> {
  const keys = (typeof secret === 'string' ? [secret] : [...secret]).map(secretKey);
  if (keys.length === 0) throw new WebhookError('secret_invalid', 'no secret given');
  if (typeof body !== 'string' && !(body instanceof Uint8Array)) {
    throw new TypeError('verifyWebhook: the body must be the raw request body, a string or a Buffer');
  }

  const id = header(headers, 'webhook-id');
  const stamp = header(headers, 'webhook-timestamp');
  const signatures = header(headers, 'webhook-signature');
  // A dot in the id would let one signed content read as another split of id, timestamp and body.
  if (/[.\s]/.test(id)) throw new WebhookError('header_invalid', 'webhook-id may not contain a dot or white space');
  if (!TIMESTAMP.test(stamp)) throw new WebhookError('timestamp_invalid', 'webhook-timestamp is not an integer of seconds');

  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const expected = keys.map((key) => Buffer.from(createHmac('sha256', key).update(`${id}.${stamp}.`).update(bytes).digest('base64')));
  let matched = false;
  for (const entry of signatures.split(' ')) {
    const comma = entry.indexOf(',');
    if (comma < 0 || entry.slice(0, comma) !== 'v1') continue; // other schemes (v1a) and versions are not ours to check
    const given = Buffer.from(entry.slice(comma + 1));
    // Compare the base64 text, not decoded bytes: one spelling per signature. Constant time per candidate.
    for (const want of expected) if (given.length === want.length && timingSafeEqual(given, want)) matched = true;
  }
  if (!matched) throw new WebhookError('signature_invalid', 'no v1 signature matches the body under the secret');

  const timestamp = Number(stamp);
  const tolerance = options.toleranceSeconds ?? DEFAULT_WEBHOOK_TOLERANCE_SECONDS;
  const now = Math.floor((options.now === undefined ? Date.now() : +options.now) / 1000);
  if (now - timestamp > tolerance) throw new WebhookError('timestamp_too_old', `webhook-timestamp is more than ${tolerance} s old`);
  if (timestamp - now > tolerance) throw new WebhookError('timestamp_too_new', `webhook-timestamp is more than ${tolerance} s ahead`);

  let payload: T;
  try {
    payload = bytes.length === 0 ? (undefined as T) : (JSON.parse(bytes.toString('utf8')) as T);
  } catch {
    throw new WebhookError('payload_invalid', 'the body is not JSON');
  }
  return { id, timestamp, payload };
}

function secretKey(secret: string): Buffer {
  if (typeof secret !== 'string') throw new WebhookError('secret_invalid', 'the secret is not a string');
  const text = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  if (text === '' || !BASE64.test(text)) throw new WebhookError('secret_invalid', 'the secret is not whsec_<base64>');
  return Buffer.from(text, 'base64');
}

function header(headers: WebhookHeaders, name: string): string {
  let value: string | readonly string[] | null | undefined;
  if (typeof (headers as { get?: unknown }).get === 'function') {
    value = (headers as { get(name: string): string | null }).get(name);
  } else {
    const record = headers as Readonly<Record<string, string | readonly string[] | undefined>>;
    value = record[name] ?? Object.entries(record).find(([key]) => key.toLowerCase() === name)?.[1];
  }
  if (Array.isArray(value)) throw new WebhookError('header_invalid', `${name} was sent more than once`);
  if (typeof value !== 'string' || value.trim() === '') throw new WebhookError('header_missing', `${name} is missing`);
  return value.trim();
}
