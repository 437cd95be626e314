// The verifier registry in PostgreSQL (`clients`, `api_keys`: small reference tables, see
// docs/scaling.md §1): the same behaviour as SqliteClientStore, whose serial transactions become
// row locks here. Request-path reads go through CachedClientStore, not straight here.
import { type Pool, type PoolClient, inTransaction, query } from '../store/postgres/pool.ts';
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
import type { ApiKeyInfo, Client, ClientStatus, ClientStore, NewClient, WebhookTarget } from './clients.ts';

export class PostgresClientStore implements ClientStore {
  readonly #pool: Pool;
  readonly #apiKeyKey: Buffer;
  readonly #webhookSecrets: WebhookSecrets;

  constructor(pool: Pool, apiKeyKey: Buffer) {
    this.#pool = pool;
    this.#apiKeyKey = apiKeyKey;
    this.#webhookSecrets = new WebhookSecrets(apiKeyKey);
  }

  async get(id: string): Promise<Client | null> {
    const row = await this.#row(id);
    return row ? clientFromRow(row) : null;
  }

  async list(): Promise<Client[]> {
    const { rows } = await query<ClientRow>(this.#pool, 'SELECT * FROM clients ORDER BY id');
    return rows.map(clientFromRow);
  }

  async create(client: NewClient): Promise<{ client: Client; apiKey: string }> {
    validateClient(client);
    const apiKey = newApiKey();
    const now = Date.now();
    const row = await inTransaction(this.#pool, async (tx) => {
      // Of racing creates of one id, the first to commit inserts; the others find its row
      // (the insert waits for the first's commit) and insert nothing.
      const { rows } = await tx.query<ClientRow>(
        `INSERT INTO clients (id, name, purpose, allowed_origins, widget_sessions, status, created_at)
         VALUES ($1, $2, $3, $4, $5, 'active', $6) ON CONFLICT (id) DO NOTHING RETURNING *`,
        [client.id, client.name, client.purpose, originsColumn(client.allowedOrigins), client.widgetSessions ?? false, now],
      );
      if (!rows[0]) throw alreadyExists(client.id);
      await this.#insertKey(tx, client.id, apiKey, now);
      return rows[0];
    });
    return { client: clientFromRow(row), apiKey };
  }

  async update(id: string, changes: Partial<Omit<NewClient, 'id'>>): Promise<Client> {
    const row = await inTransaction(this.#pool, async (tx) => {
      // Locked from read to write: two updates of different fields both land.
      const current = await lockClient(tx, id);
      const next = mergeClientChanges(clientFromRow(current), changes);
      const { rows } = await tx.query<ClientRow>(
        'UPDATE clients SET name = $1, purpose = $2, allowed_origins = $3, widget_sessions = $4 WHERE id = $5 RETURNING *',
        [next.name, next.purpose, originsColumn(next.allowedOrigins), next.widgetSessions, id],
      );
      return rows[0]!;
    });
    return clientFromRow(row);
  }

  async setStatus(id: string, status: ClientStatus): Promise<Client> {
    const { rows } = await query<ClientRow>(this.#pool, 'UPDATE clients SET status = $1 WHERE id = $2 RETURNING *', [status, id]);
    if (!rows[0]) throw notFound(id);
    return clientFromRow(rows[0]);
  }

  async rotateKey(id: string, options: { revokeOthers?: boolean } = {}): Promise<string> {
    const apiKey = newApiKey();
    const now = Date.now();
    await inTransaction(this.#pool, async (tx) => {
      // The client's row lock serializes rotations: without it two racing `revokeOthers` would
      // each revoke only the keys committed before they started, and both new keys would live.
      await lockClient(tx, id);
      if (options.revokeOthers) {
        await tx.query('UPDATE api_keys SET revoked_at = $1 WHERE client_id = $2 AND revoked_at IS NULL', [now, id]);
      }
      await this.#insertKey(tx, id, apiKey, now);
    });
    return apiKey;
  }

  async ensureKey(id: string, apiKey: string): Promise<void> {
    if (!(await this.#row(id))) throw notFound(id);
    const hash = apiKeyHash(this.#apiKeyKey, apiKey);
    // Processes seeding the same key at once: one inserts, the others find it.
    const inserted = await query(
      this.#pool,
      'INSERT INTO api_keys (id, client_id, key_hash, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (key_hash) DO NOTHING',
      [newKeyId(), id, hash, Date.now()],
    );
    if (inserted.rowCount === 1) return;
    const { rows } = await query<{ client_id: string }>(this.#pool, 'SELECT client_id FROM api_keys WHERE key_hash = $1', [hash]);
    if (rows[0] && rows[0].client_id !== id) throw keyOfAnotherClient();
  }

  async revokeKey(id: string, keyId: string): Promise<void> {
    const result = await query(
      this.#pool,
      'UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND client_id = $3 AND revoked_at IS NULL',
      [Date.now(), keyId, id],
    );
    if (result.rowCount === 0) throw keyNotFound(id, keyId);
  }

  async keys(id: string): Promise<ApiKeyInfo[]> {
    const { rows } = await query<{ id: string; created_at: number; revoked_at: number | null }>(
      this.#pool,
      'SELECT id, created_at, revoked_at FROM api_keys WHERE client_id = $1 ORDER BY created_at, id',
      [id],
    );
    return rows.map((r) => ({ id: r.id, createdAt: r.created_at, revokedAt: r.revoked_at }));
  }

  async authenticate(apiKey: string): Promise<Client | null> {
    if (!isPlausibleApiKey(apiKey)) return null;
    const { rows } = await query<ClientRow>(
      this.#pool,
      `SELECT c.* FROM api_keys k JOIN clients c ON c.id = k.client_id
       WHERE k.key_hash = $1 AND k.revoked_at IS NULL`,
      [apiKeyHash(this.#apiKeyKey, apiKey)],
    );
    return rows[0] ? clientFromRow(rows[0]) : null;
  }

  async setWebhook(id: string, url: string | null, policy: DeliveryPolicy): Promise<string | null> {
    if (url === null) {
      const cleared = await query(
        this.#pool,
        'UPDATE clients SET webhook_url = NULL, webhook_secret = NULL, webhook_previous_secret = NULL, webhook_previous_until = NULL WHERE id = $1',
        [id],
      );
      if (cleared.rowCount === 0) throw notFound(id);
      return null;
    }
    if (!(await this.#row(id))) throw notFound(id);
    validateWebhookUrl(url, policy);
    return inTransaction(this.#pool, async (tx) => {
      // Locked: of two racing changes, the second keeps the first's secret as its previous one.
      const current = await lockClient(tx, id);
      const { text, columns } = this.#webhookSecrets.rotate(id, current.webhook_secret, Date.now());
      await tx.query(
        'UPDATE clients SET webhook_url = $1, webhook_secret = $2, webhook_previous_secret = $3, webhook_previous_until = $4 WHERE id = $5',
        [url, columns.webhook_secret, columns.webhook_previous_secret, columns.webhook_previous_until, id],
      );
      return text;
    });
  }

  async webhookTarget(id: string): Promise<WebhookTarget | null> {
    const row = await this.#row(id);
    return row ? this.#webhookSecrets.target(row, Date.now()) : null;
  }

  async #row(id: string): Promise<ClientRow | null> {
    const { rows } = await query<ClientRow>(this.#pool, 'SELECT * FROM clients WHERE id = $1', [id]);
    return rows[0] ?? null;
  }

  async #insertKey(tx: PoolClient, clientId: string, apiKey: string, now: number): Promise<void> {
    await tx.query('INSERT INTO api_keys (id, client_id, key_hash, created_at) VALUES ($1, $2, $3, $4)', [
      newKeyId(),
      clientId,
      apiKeyHash(this.#apiKeyKey, apiKey),
      now,
    ]);
  }
}

/** The client's row, locked until the transaction ends (NO KEY: keys and texts may still reference it). */
async function lockClient(tx: PoolClient, id: string): Promise<ClientRow> {
  const { rows } = await tx.query<ClientRow>('SELECT * FROM clients WHERE id = $1 FOR NO KEY UPDATE', [id]);
  if (!rows[0]) throw notFound(id);
  return rows[0];
}
