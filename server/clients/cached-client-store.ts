// Every API request authenticates a key and reads a client: with the registry in PostgreSQL each
// would be a round trip. These reads are served from a small in-process cache instead.
import crypto from 'node:crypto';
import type { DeliveryPolicy } from '../webhooks/address-policy.ts';
import type { ApiKeyInfo, Client, ClientStatus, ClientStore, NewClient, WebhookTarget } from './clients.ts';
import { ExpiringLru } from './expiring-lru.ts';

export interface ClientCacheOptions {
  /** How long a read is reused: the longest a change made by another process goes unseen here. */
  ttlMs?: number;
  /** Entries kept per kind (clients by id, clients by API key); the least recently used go first. */
  maxEntries?: number;
  /** The clock (tests). */
  now?: () => number;
}

export const DEFAULT_CLIENT_CACHE_TTL_MS = 5_000;
export const DEFAULT_CLIENT_CACHE_MAX_ENTRIES = 10_000;

/**
 * A ClientStore whose `get` and `authenticate` answers are reused for a short TTL (5 s by default).
 *
 * The promise: a change made through **another** process (or straight in the database) — a new
 * client, a changed or disabled client, a new, rotated or revoked key — is seen by this process
 * within `ttlMs` of its commit: a revoked key or a disabled client stays usable here at most that
 * long. A change made through **this** wrapper is seen by this process at once: its write drops
 * what it affects, and a read that was already under way when a write happened is not cached.
 *
 * Bounded: at most `maxEntries` clients by id and `maxEntries` keys, least recently used evicted.
 * Answers "unknown" (null) are never cached, so a flood of invented keys or client ids cannot fill
 * the cache or push real entries out; each costs its own lookup, as it would without the cache.
 * Keys are held as SHA-256 digests, never as presented. Everything else passes straight through.
 */
export class CachedClientStore implements ClientStore {
  readonly #inner: ClientStore;
  readonly #byId: ExpiringLru<Client | null>;
  /** By the SHA-256 of the presented key. */
  readonly #byKey: ExpiringLru<Client | null>;

  constructor(inner: ClientStore, options: ClientCacheOptions = {}) {
    this.#inner = inner;
    const lru = {
      ttlMs: options.ttlMs ?? DEFAULT_CLIENT_CACHE_TTL_MS,
      maxEntries: options.maxEntries ?? DEFAULT_CLIENT_CACHE_MAX_ENTRIES,
      now: options.now ?? Date.now,
    };
    this.#byId = new ExpiringLru(lru);
    this.#byKey = new ExpiringLru(lru);
  }

  /** How many entries are held (clients by id, by key): for tests and metrics. */
  get size(): { byId: number; byKey: number } {
    return { byId: this.#byId.size, byKey: this.#byKey.size };
  }

  async get(id: string): Promise<Client | null> {
    return copy(await this.#byId.get(id, () => this.#inner.get(id), known));
  }

  async authenticate(apiKey: string): Promise<Client | null> {
    const digest = crypto.createHash('sha256').update(apiKey).digest('base64');
    return copy(await this.#byKey.get(digest, () => this.#inner.authenticate(apiKey), known));
  }

  list(): Promise<Client[]> {
    return this.#inner.list();
  }

  keys(id: string): Promise<ApiKeyInfo[]> {
    return this.#inner.keys(id);
  }

  webhookTarget(id: string): Promise<WebhookTarget | null> {
    return this.#inner.webhookTarget(id);
  }

  create(client: NewClient): Promise<{ client: Client; apiKey: string }> {
    return this.#write(client.id, () => this.#inner.create(client));
  }

  update(id: string, changes: Partial<Omit<NewClient, 'id'>>): Promise<Client> {
    return this.#write(id, () => this.#inner.update(id, changes));
  }

  setStatus(id: string, status: ClientStatus): Promise<Client> {
    return this.#write(id, () => this.#inner.setStatus(id, status));
  }

  rotateKey(id: string, options?: { revokeOthers?: boolean }): Promise<string> {
    return this.#write(id, () => this.#inner.rotateKey(id, options));
  }

  ensureKey(id: string, apiKey: string): Promise<void> {
    return this.#write(id, () => this.#inner.ensureKey(id, apiKey));
  }

  revokeKey(id: string, keyId: string): Promise<void> {
    return this.#write(id, () => this.#inner.revokeKey(id, keyId));
  }

  setWebhook(id: string, url: string | null, policy: DeliveryPolicy): Promise<string | null> {
    return this.#write(id, () => this.#inner.setWebhook(id, url, policy));
  }

  /**
   * Runs a write, dropping what it may change before and after it: the client by id, and every key
   * entry of that client (a revoked or rotated key, a disabled client). The generation bump keeps a
   * read that overlaps the write from caching what it saw before.
   */
  async #write<T>(clientId: string, work: () => Promise<T>): Promise<T> {
    this.#forget(clientId);
    try {
      return await work();
    } finally {
      this.#forget(clientId);
    }
  }

  #forget(clientId: string): void {
    this.#byId.invalidate((id) => id === clientId);
    this.#byKey.invalidate((_, client) => client?.id === clientId);
  }
}

/** "Unknown" is never cached: invented keys and ids can neither fill the cache nor evict real entries. */
const known = (client: Client | null): boolean => client !== null;

/** Every caller, the first included, gets its own object: changing it cannot change the cache. */
const copy = (client: Client | null): Client | null => client && { ...client, allowedOrigins: [...client.allowedOrigins] };
