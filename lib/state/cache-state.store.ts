import { OAuthStateStore } from './oauth-state.store.js';

/** The part of a cache-manager 7 `Cache` this store uses. */
export interface CacheLike {
  get<T>(key: string): Promise<T | undefined | null>;
  /** `ttl` in milliseconds. */
  set<T>(key: string, value: T, ttl?: number): Promise<unknown>;
  del(key: string): Promise<unknown>;
  /** cache-manager 7 exposes its Keyv tiers; their `delete` says whether a key was removed. */
  stores?: ReadonlyArray<{
    set(key: string, value: unknown, ttl?: number): Promise<boolean>;
    delete(key: string): Promise<boolean>;
  }>;
}

/**
 * Pending logins in any cache-manager 7 cache (`CACHE_MANAGER` of
 * `@nestjs/cache-manager`, Redis through `@keyv/redis`), for several instances.
 *
 * `take` is single-use under races: every instance may read the entry, but only
 * the one whose delete actually removed it from the shared (last) tier gets the
 * data. Redis `DEL` reports that atomically.
 */
export class CacheStateStore extends OAuthStateStore {
  constructor(private readonly cache: CacheLike) {
    super();
  }

  override async set(key: string, data: object, ttlSeconds: number): Promise<void> {
    const ttl = Math.max(1, Math.round(ttlSeconds * 1000));
    const stores = this.cache.stores;
    if (!stores || stores.length === 0) {
      await this.cache.set(key, data, ttl);
      return;
    }
    // Keyv reports a failed write as `false` rather than throwing; cache-manager drops
    // that, and a login whose state was never stored would fail only at the callback.
    const results = await Promise.all(stores.map((s) => s.set(key, data, ttl)));
    if (results.some((ok) => ok !== true)) throw new Error('The cache did not store the login state.');
  }

  override async take(key: string): Promise<object | undefined> {
    const data = await this.cache.get<object>(key);
    if (data === undefined || data === null) return undefined;
    const stores = this.cache.stores;
    if (!stores || stores.length === 0) {
      // A cache without tiers cannot tell who removed the key; best effort.
      await this.cache.del(key);
      return typeof data === 'object' ? data : undefined;
    }
    const results = await Promise.all(stores.map((s) => s.delete(key)));
    return results[results.length - 1] === true && typeof data === 'object' ? data : undefined;
  }
}
