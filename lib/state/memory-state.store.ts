import { OAuthStateStore } from './oauth-state.store.js';

/**
 * Pending logins in this process's memory, bounded in count: for one instance
 * only. The oldest entries are dropped first when full.
 */
export class MemoryStateStore extends OAuthStateStore {
  private readonly entries = new Map<string, { data: object; exp: number }>();

  constructor(private readonly maxEntries = 10_000) {
    super();
  }

  override async set(key: string, data: object, ttlSeconds: number): Promise<void> {
    this.entries.delete(key);
    this.entries.set(key, { data, exp: Date.now() + ttlSeconds * 1000 });
    if (this.entries.size > this.maxEntries) this.evict();
  }

  override async take(key: string): Promise<object | undefined> {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    return entry.exp > Date.now() ? entry.data : undefined;
  }

  /** Entries currently held, expired ones included until evicted. */
  get size(): number {
    return this.entries.size;
  }

  private evict(): void {
    const now = Date.now();
    for (const [key, entry] of this.entries) {
      if (entry.exp <= now) this.entries.delete(key);
    }
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }
}
