// Least-recently-used store of loaded tiles, bounded by the bytes they hold (GPU textures and CPU
// copies together), so memory stays the same whatever the size of the image.

export interface CacheEntry {
  /** Bytes held: texture memory plus any CPU copy. */
  bytes: number;
  /** Release what the entry holds (textures); called once when it leaves the cache. */
  dispose?: () => void;
}

export const DEFAULT_CACHE_BYTES = 384 * 1024 * 1024;

export interface CacheStats {
  bytes: number;
  entries: number;
  hits: number;
  misses: number;
  evictions: number;
  limit: number;
}

export class TileCache<T extends CacheEntry> {
  // A Map keeps insertion order: the first key is the least recently used.
  private entries = new Map<string, T>();
  private held = 0;
  private hits = 0;
  private misses = 0;
  private evictions = 0;

  constructor(readonly limit = DEFAULT_CACHE_BYTES) {}

  /** The entry, marked as just used; counts a hit or a miss. */
  get(key: string): T | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    return this.touch(key);
  }

  /** Mark an entry as just used, without counting a hit. */
  touch(key: string): T | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry;
  }

  /** The entry without marking it used or counting. */
  peek(key: string): T | undefined {
    return this.entries.get(key);
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  /** Add or replace an entry, then evict the least recently used until within the limit. */
  set(key: string, entry: T) {
    this.delete(key);
    this.entries.set(key, entry);
    this.held += entry.bytes;
    this.evict(key);
  }

  delete(key: string) {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.held -= entry.bytes;
    entry.dispose?.();
  }

  /** Keys in order from least to most recently used. */
  keys(): IterableIterator<string> {
    return this.entries.keys();
  }

  clear() {
    for (const key of [...this.entries.keys()]) this.delete(key);
  }

  stats(): CacheStats {
    return {
      bytes: this.held,
      entries: this.entries.size,
      hits: this.hits,
      misses: this.misses,
      evictions: this.evictions,
      limit: this.limit,
    };
  }

  private evict(keep: string) {
    for (const key of this.entries.keys()) {
      if (this.held <= this.limit) return;
      if (key === keep) continue;
      this.delete(key);
      this.evictions++;
    }
  }
}
