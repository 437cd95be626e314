import crypto from 'node:crypto';
import { customAlphabet } from 'nanoid';
import type { Db } from '../store/database.ts';
import { keyedHash } from '../store/secrets.ts';
import { type DeliveryPolicy, webhookUrlSyntaxProblem } from '../webhooks/address-policy.ts';
import { SecretSealer, deriveWebhookSealKey, newWebhookSecret } from '../webhooks/secret.ts';
import { canonicalOrigin } from './origins.ts';
import { SMS_TEXT_RULE, smsTextProblem } from './sms-safe-text.ts';

export type ClientStatus = 'active' | 'disabled';

/** A verifying entity (railway, hotel, employer…) allowed to ask for vaccination status. */
export interface Client {
  id: string;
  name: string;
  purpose: string;
  allowedOrigins: string[];
  /**
   * Accepts keyless sessions made by the widget: a public client in the OAuth sense, whose
   * client id and allowed origins anyone can present. Otherwise only sessions its backend made
   * with its API key (and handed to the page) are accepted.
   */
  widgetSessions: boolean;
  status: ClientStatus;
  createdAt: number;
  /** Where session events are POSTed (signed webhooks), or null. Its secret is never on this object. */
  webhookUrl: string | null;
}

/** What a dispatcher needs to send one event: the URL and the signing keys (current first). */
export interface WebhookTarget {
  url: string;
  /** The current key and, for a day after it was replaced, the previous one: each signs. */
  keys: Buffer[];
}

/** A replaced signing secret still signs (a second signature) this long, so receivers can switch. */
export const WEBHOOK_SECRET_OVERLAP_MS = 24 * 3600_000;

export interface NewClient {
  id: string;
  name: string;
  purpose: string;
  allowedOrigins: string[];
  /** Default false: a new client accepts only sessions its backend creates. */
  widgetSessions?: boolean;
}

export interface ApiKeyInfo {
  id: string;
  createdAt: number;
  revokedAt: number | null;
}

export class ClientError extends Error {
  readonly code: 'client_exists' | 'client_not_found' | 'client_invalid';
  constructor(code: ClientError['code'], message: string) {
    super(message);
    this.code = code;
  }
}

export const CLIENT_ID_PATTERN = /^[a-z0-9][a-z0-9-]{1,62}$/;

/** Verifier registry. API keys are stored as keyed hashes: shown once, at creation or rotation. */
export interface ClientStore {
  get(id: string): Promise<Client | null>;
  list(): Promise<Client[]>;
  create(client: NewClient): Promise<{ client: Client; apiKey: string }>;
  update(id: string, changes: Partial<Omit<NewClient, 'id'>>): Promise<Client>;
  setStatus(id: string, status: ClientStatus): Promise<Client>;
  /** Issues a new key; with `revokeOthers` every earlier key stops working at once. */
  rotateKey(id: string, options?: { revokeOthers?: boolean }): Promise<string>;
  /** Adds a key whose value the operator chose (demo clients only). */
  ensureKey(id: string, apiKey: string): Promise<void>;
  revokeKey(id: string, keyId: string): Promise<void>;
  keys(id: string): Promise<ApiKeyInfo[]>;
  /** The client a presented, unrevoked key belongs to (active or not: callers check), or null. */
  authenticate(apiKey: string): Promise<Client | null>;
  /**
   * Sets the client's webhook URL with a new signing secret, returned once as `whsec_…` (stored
   * sealed, never shown again); the replaced secret keeps signing for a day. `null` removes the
   * webhook and both secrets. `policy` decides whether plain http is accepted (demo mode).
   */
  setWebhook(id: string, url: string | null, policy: DeliveryPolicy): Promise<string | null>;
  /** The URL and the opened signing keys, for a delivery; null without a webhook. */
  webhookTarget(id: string): Promise<WebhookTarget | null>;
}

const keySecret = customAlphabet('0123456789ABCDEFGHJKMNPQRSTVWXYZabcdefghijkmnopqrstuvwxyz', 40);

interface ClientRow {
  id: string;
  name: string;
  purpose: string;
  allowed_origins: string;
  widget_sessions: 0 | 1;
  status: ClientStatus;
  created_at: number;
  webhook_url: string | null;
  webhook_secret: Buffer | null;
  webhook_previous_secret: Buffer | null;
  webhook_previous_until: number | null;
}

function fromRow(row: ClientRow): Client {
  return {
    id: row.id,
    name: row.name,
    purpose: row.purpose,
    allowedOrigins: JSON.parse(row.allowed_origins) as string[],
    widgetSessions: row.widget_sessions === 1,
    status: row.status,
    createdAt: row.created_at,
    webhookUrl: row.webhook_url ?? null,
  };
}

export class SqliteClientStore implements ClientStore {
  readonly #db: Db;
  readonly #apiKeyKey: Buffer;
  readonly #sealer: SecretSealer;
  readonly #byId;
  readonly #byKey;

  constructor(db: Db, apiKeyKey: Buffer) {
    this.#db = db;
    this.#apiKeyKey = apiKeyKey;
    this.#sealer = new SecretSealer(deriveWebhookSealKey({ apiKeyKey }));
    this.#byId = db.prepare<[string], ClientRow>('SELECT * FROM clients WHERE id = ?');
    this.#byKey = db.prepare<[Buffer], ClientRow>(
      `SELECT c.* FROM api_keys k JOIN clients c ON c.id = k.client_id
       WHERE k.key_hash = ? AND k.revoked_at IS NULL`,
    );
  }

  async get(id: string): Promise<Client | null> {
    const row = this.#byId.get(id);
    return row ? fromRow(row) : null;
  }

  async list(): Promise<Client[]> {
    return (this.#db.prepare('SELECT * FROM clients ORDER BY id').all() as ClientRow[]).map(fromRow);
  }

  async create(client: NewClient): Promise<{ client: Client; apiKey: string }> {
    validate(client);
    const apiKey = `kvs_${keySecret()}`;
    const now = Date.now();
    this.#db.transaction(() => {
      if (this.#byId.get(client.id)) throw new ClientError('client_exists', `client "${client.id}" already exists`);
      this.#db
        .prepare(
          'INSERT INTO clients (id, name, purpose, allowed_origins, widget_sessions, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
        )
        .run(client.id, client.name, client.purpose, JSON.stringify(client.allowedOrigins), client.widgetSessions ? 1 : 0, 'active', now);
      this.#insertKey(client.id, apiKey, now);
    }).immediate();
    return { client: (await this.get(client.id))!, apiKey };
  }

  async update(id: string, changes: Partial<Omit<NewClient, 'id'>>): Promise<Client> {
    const current = await this.#require(id);
    const next = { ...current, ...changes, widgetSessions: changes.widgetSessions ?? current.widgetSessions };
    validate(next);
    this.#db
      .prepare('UPDATE clients SET name = ?, purpose = ?, allowed_origins = ?, widget_sessions = ? WHERE id = ?')
      .run(next.name, next.purpose, JSON.stringify(next.allowedOrigins), next.widgetSessions ? 1 : 0, id);
    return (await this.get(id))!;
  }

  async setStatus(id: string, status: ClientStatus): Promise<Client> {
    await this.#require(id);
    this.#db.prepare('UPDATE clients SET status = ? WHERE id = ?').run(status, id);
    return (await this.get(id))!;
  }

  async rotateKey(id: string, options: { revokeOthers?: boolean } = {}): Promise<string> {
    await this.#require(id);
    const apiKey = `kvs_${keySecret()}`;
    const now = Date.now();
    this.#db.transaction(() => {
      if (options.revokeOthers) {
        this.#db.prepare('UPDATE api_keys SET revoked_at = ? WHERE client_id = ? AND revoked_at IS NULL').run(now, id);
      }
      this.#insertKey(id, apiKey, now);
    }).immediate();
    return apiKey;
  }

  async ensureKey(id: string, apiKey: string): Promise<void> {
    await this.#require(id);
    const hash = this.#hash(apiKey);
    const existing = this.#db.prepare('SELECT client_id FROM api_keys WHERE key_hash = ?').get(hash) as
      | { client_id: string }
      | undefined;
    if (existing && existing.client_id !== id) throw new ClientError('client_invalid', 'that API key belongs to another client');
    if (!existing) this.#insertKey(id, apiKey, Date.now());
  }

  async revokeKey(id: string, keyId: string): Promise<void> {
    const result = this.#db
      .prepare('UPDATE api_keys SET revoked_at = ? WHERE id = ? AND client_id = ? AND revoked_at IS NULL')
      .run(Date.now(), keyId, id);
    if (result.changes === 0) throw new ClientError('client_not_found', `no active key "${keyId}" for client "${id}"`);
  }

  async keys(id: string): Promise<ApiKeyInfo[]> {
    const rows = this.#db
      .prepare('SELECT id, created_at, revoked_at FROM api_keys WHERE client_id = ? ORDER BY created_at')
      .all(id) as { id: string; created_at: number; revoked_at: number | null }[];
    return rows.map((r) => ({ id: r.id, createdAt: r.created_at, revokedAt: r.revoked_at }));
  }

  async authenticate(apiKey: string): Promise<Client | null> {
    if (apiKey.length < 16 || apiKey.length > 200) return null;
    const row = this.#byKey.get(this.#hash(apiKey));
    return row ? fromRow(row) : null;
  }

  async setWebhook(id: string, url: string | null, policy: DeliveryPolicy): Promise<string | null> {
    await this.#require(id);
    if (url === null) {
      this.#db
        .prepare(
          'UPDATE clients SET webhook_url = NULL, webhook_secret = NULL, webhook_previous_secret = NULL, webhook_previous_until = NULL WHERE id = ?',
        )
        .run(id);
      return null;
    }
    const problem = webhookUrlSyntaxProblem(url, policy);
    if (problem) throw new ClientError('client_invalid', `webhook URL ${problem}`);
    const secret = newWebhookSecret();
    const now = Date.now();
    this.#db.transaction(() => {
      const row = this.#byId.get(id)!;
      this.#db
        .prepare(
          `UPDATE clients SET webhook_url = ?, webhook_secret = ?, webhook_previous_secret = ?, webhook_previous_until = ? WHERE id = ?`,
        )
        .run(
          url,
          this.#sealer.seal(secret.bytes, sealContext(id)),
          row.webhook_secret,
          row.webhook_secret ? now + WEBHOOK_SECRET_OVERLAP_MS : null,
          id,
        );
    }).immediate();
    return secret.text;
  }

  async webhookTarget(id: string): Promise<WebhookTarget | null> {
    const row = this.#byId.get(id);
    if (!row?.webhook_url || !row.webhook_secret) return null;
    const keys = [this.#sealer.open(row.webhook_secret, sealContext(id))];
    if (row.webhook_previous_secret && (row.webhook_previous_until ?? 0) > Date.now()) {
      keys.push(this.#sealer.open(row.webhook_previous_secret, sealContext(id)));
    }
    return { url: row.webhook_url, keys };
  }

  #insertKey(clientId: string, apiKey: string, now: number): void {
    // The key id is public (for listing and revoking); it is derived from nothing secret.
    const keyId = `key_${crypto.randomBytes(6).toString('hex')}`;
    this.#db
      .prepare('INSERT INTO api_keys (id, client_id, key_hash, created_at) VALUES (?, ?, ?, ?)')
      .run(keyId, clientId, this.#hash(apiKey), now);
  }

  #hash(apiKey: string): Buffer {
    return keyedHash(this.#apiKeyKey, 'api-key', apiKey);
  }

  async #require(id: string): Promise<Client> {
    const client = await this.get(id);
    if (!client) throw new ClientError('client_not_found', `no client "${id}"`);
    return client;
  }
}

/** A sealed secret opens only in its own client's row. */
const sealContext = (clientId: string) => `kycvs webhook secret for client ${clientId}`;

function validate(client: Omit<NewClient, 'id'> & { id: string }): void {
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
