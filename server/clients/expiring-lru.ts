// The bounded, short-lived memo behind the client caches (CachedClientStore, CachedClientTexts).

export interface ExpiringLruOptions {
  /** How long a loaded value is reused, counted from when its load began. */
  ttlMs: number;
  /** Entries kept; the least recently used go first. */
  maxEntries: number;
  now: () => number;
}

/**
 * A map of values loaded from a store, each reused until `ttlMs` after its load began, at most
 * `maxEntries` of them. `invalidate` is called by writers in this process: it drops what they
 * change, and a load that was under way at that moment is not kept (it may have read the old row).
 */
export class ExpiringLru<V> {
  readonly #options: ExpiringLruOptions;
  readonly #entries = new Map<string, { value: V; expiresAt: number }>();
  /** Bumped by every invalidation: a load begun before one is not kept. */
  #generation = 0;

  constructor(options: ExpiringLruOptions) {
    if (!(options.ttlMs >= 0) || !(options.maxEntries >= 1)) throw new RangeError('cache: ttlMs ≥ 0 and maxEntries ≥ 1');
    this.#options = options;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The fresh value under `key`, else `load()`'s, kept unless `keep` refuses it (e.g. "unknown" answers). */
  async get(key: string, load: () => Promise<V>, keep: (value: V) => boolean = () => true): Promise<V> {
    const started = this.#options.now();
    const hit = this.#entries.get(key);
    if (hit) {
      this.#entries.delete(key);
      if (hit.expiresAt > started) {
        this.#entries.set(key, hit); // most recently used goes last; eviction takes the first
        return hit.value;
      }
    }
    const generation = this.#generation;
    const value = await load();
    if (generation === this.#generation && keep(value)) {
      this.#entries.set(key, { value, expiresAt: started + this.#options.ttlMs });
      for (const oldest of this.#entries.keys()) {
        if (this.#entries.size <= this.#options.maxEntries) break;
        this.#entries.delete(oldest);
      }
    }
    return value;
  }

  /** Drops the entries `matches` picks (O(entries): for writers, which are rare). */
  invalidate(matches: (key: string, value: V) => boolean): void {
    this.#generation++;
    for (const [key, entry] of this.#entries) if (matches(key, entry.value)) this.#entries.delete(key);
  }
}
