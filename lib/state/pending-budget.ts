import { OAuthStateStoreError } from '../errors/oauth.error.js';

interface Admitted {
  /** When the pending login was stored (ms). */
  at: number;
  /** When it expires anyway (ms). */
  exp: number;
}

/**
 * How many pending logins a store keeps, and which one makes room. Evicting the
 * oldest entry whatever its age let anyone flush the store: 10,000 anonymous login
 * requests (a few seconds, no provider call) pushed out every login in progress.
 * Here an entry younger than `protectMs` is never evicted: when the store is full
 * of young entries a new login is refused (503) and those in progress complete.
 * What remains: a flood sustained faster than `max` per `protectMs` keeps new
 * logins out while it lasts, and a pending login older than `protectMs` can still
 * be pushed out by one.
 */
export class PendingBudget {
  private readonly entries = new Map<string, Admitted>();

  constructor(
    readonly max: number,
    readonly protectMs: number,
  ) {}

  /**
   * Records `key`, expiring in `ttlMs`. Returns the key that made room for it, if
   * one had to; throws `state_store_unavailable` when every entry is young.
   */
  admit(key: string, ttlMs: number, now = Date.now()): string | undefined {
    this.entries.delete(key);
    let evicted: string | undefined;
    if (this.entries.size >= this.max) {
      for (const [k, e] of this.entries) if (e.exp <= now) this.entries.delete(k);
    }
    if (this.entries.size >= this.max) {
      const [oldestKey, oldest] = this.entries.entries().next().value as [string, Admitted];
      if (now - oldest.at < this.protectMs) {
        throw new OAuthStateStoreError(
          'state_store_unavailable',
          `The state store holds its ${this.max} pending logins, all started in the last ${Math.round(this.protectMs / 1000)} s; try again shortly.`,
        );
      }
      this.entries.delete(oldestKey);
      evicted = oldestKey;
    }
    this.entries.set(key, { at: now, exp: now + ttlMs });
    return evicted;
  }

  /** The login of `key` completed or expired: it no longer counts. */
  forget(key: string): void {
    this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }
}
