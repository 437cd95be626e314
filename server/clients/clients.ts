import type { Db } from '../store/database.ts';
import type { DeliveryPolicy } from '../webhooks/address-policy.ts';
import {
  type ClientRow,
  WebhookSecrets,
  alreadyExists,
  apiKeyHash,
  clientFromRow,
  isPlausibleApiKey,
  keyNotFound,
  keyOfAnotherClient,
  mergeClientChanges,
  newApiKey,
  newKeyId,
  notFound,
  originsColumn,
  validateClient,
  validateWebhookUrl,
} from './client-records.ts';

export { ClientError } from './client-error.ts';
export { CLIENT_ID_PATTERN, WEBHOOK_SECRET_OVERLAP_MS } from './client-records.ts';

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


export class SqliteClientStore implements ClientStore {
  readonly #db: Db;
  readonly #apiKeyKey: Buffer;
  readonly #webhookSecrets: WebhookSecrets;
  readonly #byId;
  readonly #byKey;

  constructor(db: Db, apiKeyKey: Buffer) {
    this.#db = db;
    this.#apiKeyKey = apiKeyKey;
    this.#webhookSecrets = new WebhookSecrets(apiKeyKey);
    this.#byId = db.prepare<[string], ClientRow>('SELECT * FROM clients WHERE id = ?');
    this.#byKey = db.prepare<[Buffer], ClientRow>(
      `SELECT c.* FROM api_keys k JOIN clients c ON c.id = k.client_id
       WHERE k.key_hash = ? AND k.revoked_at IS NULL`,
    );
  }

  async get(id: string): Promise<Client | null> {
    const row = this.#byId.get(id);
    return row ? clientFromRow(row) : null;
  }

  async list(): Promise<Client[]> {
    return (this.#db.prepare('SELECT * FROM clients ORDER BY id').all() as ClientRow[]).map(clientFromRow);
  }

  async create(client: NewClient): Promise<{ client: Client; apiKey: string }> {
    validateClient(client);
    const apiKey = newApiKey();
    const now = Date.now();
    this.#db.transaction(() => {
      if (this.#byId.get(client.id)) throw alreadyExists(client.id);
      this.#db
        .prepare(
          'INSERT INTO clients (id, name, purpose, allowed_origins, widget_sessions, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
        )
        .run(client.id, client.name, client.purpose, originsColumn(client.allowedOrigins), client.widgetSessions ? 1 : 0, 'active', now);
      this.#insertKey(client.id, apiKey, now);
    }).immediate();
    return { client: (await this.get(client.id))!, apiKey };
  }

  async update(id: string, changes: Partial<Omit<NewClient, 'id'>>): Promise<Client> {
    // Read and written in one transaction: racing updates of different fields both land.
    this.#db.transaction(() => {
      const current = this.#byId.get(id);
      if (!current) throw notFound(id);
      const next = mergeClientChanges(clientFromRow(current), changes);
      this.#db
        .prepare('UPDATE clients SET name = ?, purpose = ?, allowed_origins = ?, widget_sessions = ? WHERE id = ?')
        .run(next.name, next.purpose, originsColumn(next.allowedOrigins), next.widgetSessions ? 1 : 0, id);
    }).immediate();
    return (await this.get(id))!;
  }

  async setStatus(id: string, status: ClientStatus): Promise<Client> {
    await this.#require(id);
    this.#db.prepare('UPDATE clients SET status = ? WHERE id = ?').run(status, id);
    return (await this.get(id))!;
  }

  async rotateKey(id: string, options: { revokeOthers?: boolean } = {}): Promise<string> {
    await this.#require(id);
    const apiKey = newApiKey();
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
    const existing = this.#db.prepare('SELECT client_id FROM api_keys WHERE key_hash = ?').get(apiKeyHash(this.#apiKeyKey, apiKey)) as
      | { client_id: string }
      | undefined;
    if (existing && existing.client_id !== id) throw keyOfAnotherClient();
    if (!existing) this.#insertKey(id, apiKey, Date.now());
  }

  async revokeKey(id: string, keyId: string): Promise<void> {
    const result = this.#db
      .prepare('UPDATE api_keys SET revoked_at = ? WHERE id = ? AND client_id = ? AND revoked_at IS NULL')
      .run(Date.now(), keyId, id);
    if (result.changes === 0) throw keyNotFound(id, keyId);
  }

  async keys(id: string): Promise<ApiKeyInfo[]> {
    const rows = this.#db
      .prepare('SELECT id, created_at, revoked_at FROM api_keys WHERE client_id = ? ORDER BY created_at')
      .all(id) as { id: string; created_at: number; revoked_at: number | null }[];
    return rows.map((r) => ({ id: r.id, createdAt: r.created_at, revokedAt: r.revoked_at }));
  }

  async authenticate(apiKey: string): Promise<Client | null> {
    if (!isPlausibleApiKey(apiKey)) return null;
    const row = this.#byKey.get(apiKeyHash(this.#apiKeyKey, apiKey));
    return row ? clientFromRow(row) : null;
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
    validateWebhookUrl(url, policy);
    return this.#db.transaction(() => {
      const { text, columns } = this.#webhookSecrets.rotate(id, this.#byId.get(id)!.webhook_secret, Date.now());
      this.#db
        .prepare(`UPDATE clients SET webhook_url = ?, webhook_secret = ?, webhook_previous_secret = ?, webhook_previous_until = ? WHERE id = ?`)
        .run(url, columns.webhook_secret, columns.webhook_previous_secret, columns.webhook_previous_until, id);
      return text;
    }).immediate();
  }

  async webhookTarget(id: string): Promise<WebhookTarget | null> {
    const row = this.#byId.get(id);
    return row ? this.#webhookSecrets.target(row, Date.now()) : null;
  }

  #insertKey(clientId: string, apiKey: string, now: number): void {
    this.#db
      .prepare('INSERT INTO api_keys (id, client_id, key_hash, created_at) VALUES (?, ?, ?, ?)')
      .run(newKeyId(), clientId, apiKeyHash(this.#apiKeyKey, apiKey), now);
  }

  async #require(id: string): Promise<Client> {
    const client = await this.get(id);
    if (!client) throw notFound(id);
    return client;
  }
}
