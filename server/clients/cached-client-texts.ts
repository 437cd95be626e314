// The texts are read on the request path too (each code's SMS, each frame's context): with
// PostgreSQL, each would be a round trip. Served from a small in-process cache instead.
import type { LangCode } from '../../protocol/languages.ts';
import { DEFAULT_CLIENT_CACHE_MAX_ENTRIES, DEFAULT_CLIENT_CACHE_TTL_MS, type ClientCacheOptions } from './cached-client-store.ts';
import { type ClientText, type ClientTexts, type LocalizedClient, type TextChanges, type TextLang, localizeClient } from './client-texts.ts';
import type { Client } from './clients.ts';
import { ExpiringLru } from './expiring-lru.ts';

/**
 * ClientTexts whose per-client list is reused for a short TTL, with CachedClientStore's promise: a
 * text set by another process is shown here within `ttlMs`; one set through this wrapper, at once.
 * At most `maxEntries` clients' lists are held (only clients that exist reach these calls).
 */
export class CachedClientTexts implements ClientTexts {
  readonly #inner: ClientTexts;
  readonly #lists: ExpiringLru<ClientText[]>;

  constructor(inner: ClientTexts, options: ClientCacheOptions = {}) {
    this.#inner = inner;
    this.#lists = new ExpiringLru({
      ttlMs: options.ttlMs ?? DEFAULT_CLIENT_CACHE_TTL_MS,
      maxEntries: options.maxEntries ?? DEFAULT_CLIENT_CACHE_MAX_ENTRIES,
      now: options.now ?? Date.now,
    });
  }

  async list(clientId: string): Promise<ClientText[]> {
    const list = await this.#lists.get(clientId, () => this.#inner.list(clientId));
    return list.map((text) => ({ ...text }));
  }

  async set(clientId: string, lang: TextLang, changes: TextChanges): Promise<ClientText> {
    this.#lists.invalidate((id) => id === clientId);
    try {
      return await this.#inner.set(clientId, lang, changes);
    } finally {
      this.#lists.invalidate((id) => id === clientId);
    }
  }

  async localize(client: Pick<Client, 'id' | 'name' | 'purpose'>, sessionPurpose: string, lang: LangCode = 'en'): Promise<LocalizedClient> {
    const text = lang === 'en' ? null : (await this.#lists.get(client.id, () => this.#inner.list(client.id))).find((t) => t.lang === lang);
    return localizeClient(client, sessionPurpose, lang, text);
  }
}
