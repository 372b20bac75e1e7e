import { OAuthStateStore } from './oauth-state.store.js';
import { PendingBudget } from './pending-budget.js';

/** A Keyv tier of a cache-manager 7 cache, as far as this store uses it. */
interface KeyvTier {
  set(key: string, value: unknown, ttl?: number): Promise<boolean>;
  delete(key: string): Promise<boolean>;
  on?(event: 'error', listener: (error: unknown) => void): unknown;
  off?(event: 'error', listener: (error: unknown) => void): unknown;
}

/** The part of a cache-manager 7 `Cache` this store uses. */
export interface CacheLike {
  get<T>(key: string): Promise<T | undefined | null>;
  /** `ttl` in milliseconds. */
  set<T>(key: string, value: T, ttl?: number): Promise<unknown>;
  del(key: string): Promise<unknown>;
  /** cache-manager 7 exposes its Keyv tiers; their `delete` says whether a key was removed. */
  stores?: readonly KeyvTier[];
}

/** Bounds of a `CacheStateStore`, per instance. */
export interface CacheStateStoreOptions {
  /**
   * Pending logins this instance keeps in the cache at once (default 50,000). Each
   * is one key of a few hundred bytes that lives `stateTtl`; size the cache for
   * instances × this many (and give Redis a `maxmemory-policy` that never evicts
   * live keys, such as `volatile-ttl` or `noeviction`).
   */
  maxPending?: number;
  /** A pending login younger than this many seconds is never pushed out (default 120). */
  protectSeconds?: number;
}

/**
 * Pending logins in any cache-manager 7 cache (`CACHE_MANAGER` of
 * `@nestjs/cache-manager`, Redis through `@keyv/redis`), for several instances.
 *
 * `take` is single-use under races: every instance may read the entry, but only
 * the one whose delete actually removed it from the shared (last) tier gets the
 * data. Redis `DEL` reports that atomically.
 *
 * Every anonymous login request writes a key; without a bound, a client could
 * fill the cache (and with an LRU policy push out logins in progress). Each
 * instance counts what it wrote: past `maxPending`, its oldest key older than
 * `protectSeconds` is deleted to make room, and when all are younger the login is
 * refused (503) rather than anyone's login in progress dropped.
 */
export class CacheStateStore extends OAuthStateStore {
  private readonly budget: PendingBudget;

  constructor(
    private readonly cache: CacheLike,
    options: CacheStateStoreOptions = {},
  ) {
    super();
    this.budget = new PendingBudget(options.maxPending ?? 50_000, (options.protectSeconds ?? 120) * 1000);
  }

  override async set(key: string, data: object, ttlSeconds: number): Promise<void> {
    const ttl = Math.max(1, Math.round(ttlSeconds * 1000));
    const evicted = this.budget.admit(key, ttl);
    if (evicted !== undefined) await this.remove(evicted);
    try {
      await this.write(key, data, ttl);
    } catch (err) {
      this.budget.forget(key);
      throw err;
    }
  }

  private async write(key: string, data: object, ttl: number): Promise<void> {
    const stores = this.cache.stores;
    if (!stores || stores.length === 0) {
      await this.cache.set(key, data, ttl);
      return;
    }
    const results = await this.watchErrors(stores, () => Promise.all(stores.map((s) => s.set(key, data, ttl))));
    if (results.some((ok) => ok !== true)) throw new Error('The cache did not store the login state.');
  }

  override async take(key: string): Promise<object | undefined> {
    this.budget.forget(key);
    const stores = this.cache.stores;
    if (!stores || stores.length === 0) {
      const data = await this.cache.get<object>(key);
      if (data === undefined || data === null) return undefined;
      // A cache without tiers cannot tell who removed the key; best effort.
      await this.cache.del(key);
      return typeof data === 'object' ? data : undefined;
    }
    return this.watchErrors(stores, async () => {
      const data = await this.cache.get<object>(key);
      if (data === undefined || data === null) return undefined;
      const removed = await Promise.all(stores.map((s) => s.delete(key)));
      return removed[removed.length - 1] === true && typeof data === 'object' ? data : undefined;
    });
  }

  /** Deletes a key that had to make room; a failure leaves it to expire. */
  private async remove(key: string): Promise<void> {
    const stores = this.cache.stores;
    try {
      if (!stores || stores.length === 0) await this.cache.del(key);
      else await Promise.all(stores.map((s) => s.delete(key)));
    } catch {
      // It expires with its TTL anyway.
    }
  }

  /**
   * Keyv and its Redis adapter report failures as events and answer as if nothing
   * happened (a write "succeeds", a read finds nothing). A login whose state was
   * never stored would fail only at the callback, as a state mismatch; listening for
   * those events turns them into the store failure they are.
   */
  private async watchErrors<T>(stores: readonly KeyvTier[], op: () => Promise<T>): Promise<T> {
    let failure: unknown;
    const listener = (error: unknown) => {
      failure ??= error ?? new Error('cache error');
    };
    for (const s of stores) s.on?.('error', listener);
    try {
      const result = await op();
      if (failure !== undefined) throw new Error('The cache reported an error.', { cause: failure });
      return result;
    } finally {
      for (const s of stores) s.off?.('error', listener);
    }
  }
}
