// What both client stores (SQLite, PostgreSQL) share: the row ↔ Client mapping, the rules a
// client's fields must pass, the API-key material (its keyed hash, a new key, a key id) and the
// webhook signing secrets' sealing and one-day overlap. The stores only move rows.
import crypto from 'node:crypto';
import { customAlphabet } from 'nanoid';
import { keyedHash } from '../store/secrets.ts';
import { type DeliveryPolicy, webhookUrlSyntaxProblem } from '../webhooks/address-policy.ts';
import { SecretSealer, deriveWebhookSealKey, newWebhookSecret } from '../webhooks/secret.ts';
import { ClientError } from './client-error.ts';
import type { Client, ClientStatus, NewClient, WebhookTarget } from './clients.ts';
import { canonicalOrigin } from './origins.ts';
import { SMS_TEXT_RULE, smsTextProblem } from './sms-safe-text.ts';

export const CLIENT_ID_PATTERN = /^[a-z0-9][a-z0-9-]{1,62}$/;

/** A replaced signing secret still signs (a second signature) this long, so receivers can switch. */
export const WEBHOOK_SECRET_OVERLAP_MS = 24 * 3600_000;

/** A `clients` row as either driver returns it (SQLite: 0/1, PostgreSQL: boolean). */
export interface ClientRow {
  id: string;
  name: string;
  purpose: string;
  allowed_origins: string;
  widget_sessions: boolean | 0 | 1;
  status: ClientStatus;
  created_at: number;
  webhook_url: string | null;
  webhook_secret: Buffer | null;
  webhook_previous_secret: Buffer | null;
  webhook_previous_until: number | null;
}

export function clientFromRow(row: ClientRow): Client {
  return {
    id: row.id,
    name: row.name,
    purpose: row.purpose,
    allowedOrigins: JSON.parse(row.allowed_origins) as string[],
    widgetSessions: row.widget_sessions === true || row.widget_sessions === 1,
    status: row.status,
    createdAt: row.created_at,
    webhookUrl: row.webhook_url ?? null,
  };
}

/** The stored form of the allowed origins (a JSON array in a text column, in both stores). */
export const originsColumn = (origins: string[]): string => JSON.stringify(origins);

/** `current` with `changes` applied (an absent widgetSessions keeps its value), validated. */
export function mergeClientChanges(current: Client, changes: Partial<Omit<NewClient, 'id'>>): Client {
  const next = { ...current, ...changes, widgetSessions: changes.widgetSessions ?? current.widgetSessions };
  validateClient(next);
  return next;
}

export function validateClient(client: Omit<NewClient, 'id'> & { id: string }): void {
  if (!CLIENT_ID_PATTERN.test(client.id)) {
    throw new ClientError('client_invalid', 'client id: 2-63 lowercase letters, digits or "-"');
  }
  // Both are printed in every SMS sent in this client's name.
  for (const field of ['name', 'purpose'] as const) {
    const problem = smsTextProblem(client[field]);
    if (problem) throw new ClientError('client_invalid', `${field} ${problem} (it is printed in the SMS: ${SMS_TEXT_RULE})`);
  }
  if (client.widgetSessions !== undefined && typeof client.widgetSessions !== 'boolean') {
    throw new ClientError('client_invalid', 'widgetSessions: true or false');
  }
  for (const origin of client.allowedOrigins) {
    if (canonicalOrigin(origin) !== origin) {
      throw new ClientError('client_invalid', `allowed origin "${origin}" is not an origin like https://example.com`);
    }
  }
}

export const notFound = (id: string): ClientError => new ClientError('client_not_found', `no client "${id}"`);
export const alreadyExists = (id: string): ClientError => new ClientError('client_exists', `client "${id}" already exists`);
export const keyNotFound = (id: string, keyId: string): ClientError =>
  new ClientError('client_not_found', `no active key "${keyId}" for client "${id}"`);
export const keyOfAnotherClient = (): ClientError => new ClientError('client_invalid', 'that API key belongs to another client');

const keySecret = customAlphabet('0123456789ABCDEFGHJKMNPQRSTVWXYZabcdefghijkmnopqrstuvwxyz', 40);

/** A new API key, shown once. */
export const newApiKey = (): string => `kvs_${keySecret()}`;

/** The key id is public (for listing and revoking); it is derived from nothing secret. */
export const newKeyId = (): string => `key_${crypto.randomBytes(6).toString('hex')}`;

/** A presented key of an impossible length is refused without a lookup. */
export const isPlausibleApiKey = (apiKey: string): boolean => apiKey.length >= 16 && apiKey.length <= 200;

/** API keys are stored as this keyed hash: a copy of the database gives no usable key. */
export const apiKeyHash = (apiKeyKey: Buffer, apiKey: string): Buffer => keyedHash(apiKeyKey, 'api-key', apiKey);

/** The webhook columns a new URL writes: a new sealed secret, the replaced one kept signing a day. */
export interface WebhookColumns {
  webhook_secret: Buffer;
  webhook_previous_secret: Buffer | null;
  webhook_previous_until: number | null;
}

/**
 * Webhook signing secrets: usable to sign, so sealed (AES-GCM under a key derived from the API-key
 * secret) rather than hashed, each bound to its client's id so a blob moved to another row does
 * not open.
 */
export class WebhookSecrets {
  readonly #sealer: SecretSealer;

  constructor(apiKeyKey: Buffer) {
    this.#sealer = new SecretSealer(deriveWebhookSealKey({ apiKeyKey }));
  }

  /** A new secret for `clientId` replacing `currentSealed`: its text (shown once) and the columns to write. */
  rotate(clientId: string, currentSealed: Buffer | null, now: number): { text: string; columns: WebhookColumns } {
    const secret = newWebhookSecret();
    return {
      text: secret.text,
      columns: {
        webhook_secret: this.#sealer.seal(secret.bytes, sealContext(clientId)),
        webhook_previous_secret: currentSealed,
        webhook_previous_until: currentSealed ? now + WEBHOOK_SECRET_OVERLAP_MS : null,
      },
    };
  }

  /** The URL and opened keys (current first, the previous one while its overlap lasts), or null. */
  target(row: Pick<ClientRow, 'id' | 'webhook_url' | 'webhook_secret' | 'webhook_previous_secret' | 'webhook_previous_until'>, now: number): WebhookTarget | null {
    if (!row.webhook_url || !row.webhook_secret) return null;
    const keys = [this.#sealer.open(row.webhook_secret, sealContext(row.id))];
    if (row.webhook_previous_secret && (row.webhook_previous_until ?? 0) > now) {
      keys.push(this.#sealer.open(row.webhook_previous_secret, sealContext(row.id)));
    }
    return { url: row.webhook_url, keys };
  }
}

/** A sealed secret opens only in its own client's row. */
const sealContext = (clientId: string) => `kycvs webhook secret for client ${clientId}`;

export function validateWebhookUrl(url: string, policy: DeliveryPolicy): void {
  const problem = webhookUrlSyntaxProblem(url, policy);
  if (problem) throw new ClientError('client_invalid', `webhook URL ${problem}`);
}
