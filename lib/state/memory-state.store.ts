import { OAuthStateStore } from './oauth-state.store.js';
import { PendingBudget } from './pending-budget.js';

/**
 * Pending logins in this process's memory, for one instance only, bounded in
 * count (`maxEntries`, default 10,000). When full, expired entries go first, then
 * the oldest entry if it is older than `protectSeconds` (default 120); a store full
 * of younger ones refuses new logins (503) rather than evicting logins in progress
 * (see `PendingBudget` for what a flood can still do).
 */
export class MemoryStateStore extends OAuthStateStore {
  private readonly entries = new Map<string, { data: object; exp: number }>();
  private readonly budget: PendingBudget;

  constructor(maxEntries = 10_000, protectSeconds = 120) {
    super();
    this.budget = new PendingBudget(maxEntries, protectSeconds * 1000);
  }

  override async set(key: string, data: object, ttlSeconds: number): Promise<void> {
    const evicted = this.budget.admit(key, ttlSeconds * 1000);
    if (evicted !== undefined) this.entries.delete(evicted);
    this.entries.delete(key);
    this.entries.set(key, { data, exp: Date.now() + ttlSeconds * 1000 });
    // Entries the budget let go once expired.
    if (this.entries.size > this.budget.max) {
      const now = Date.now();
      for (const [k, e] of this.entries) if (e.exp <= now) this.entries.delete(k);
    }
  }

  override async take(key: string): Promise<object | undefined> {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    this.budget.forget(key);
    return entry.exp > Date.now() ? entry.data : undefined;
  }

  /** Entries currently held, expired ones included until evicted. */
  get size(): number {
    return this.entries.size;
  }
}
