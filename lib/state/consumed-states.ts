/**
 * Keys already used in this process, remembered until they would have expired
 * anyway. A cookie cannot be revoked once sent, so without this a captured
 * callback plus its cookie could be replayed within the TTL.
 *
 * Bounded: entries arrive in roughly expiry order (one TTL for all), so expired ones
 * are dropped from the front as claims come in, at constant cost per claim. Past
 * `max` live entries the oldest go first; strict single use under that load needs a
 * server-side store (see the README).
 */
export class ConsumedStates {
  private readonly entries = new Map<string, number>();

  constructor(private readonly max = 100_000) {}

  /** Marks `key` used; false when it already was. */
  claim(key: string, expiresAtMs: number): boolean {
    const now = Date.now();
    this.dropExpired(now);
    const seen = this.entries.get(key);
    if (seen !== undefined && seen > now) return false;
    this.entries.delete(key);
    this.entries.set(key, expiresAtMs);
    while (this.entries.size > this.max) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
    return true;
  }

  /** Whether `key` was claimed and would not have expired yet. */
  has(key: string): boolean {
    const exp = this.entries.get(key);
    return exp !== undefined && exp > Date.now();
  }

  get size(): number {
    return this.entries.size;
  }

  private dropExpired(now: number): void {
    for (const [key, exp] of this.entries) {
      if (exp > now) return;
      this.entries.delete(key);
    }
  }
}
