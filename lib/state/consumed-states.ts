/**
 * Keys already used in this process, remembered until they would have expired
 * anyway. A cookie cannot be revoked once sent, so without this a captured
 * callback plus its cookie could be replayed within the TTL.
 */
export class ConsumedStates {
  private readonly entries = new Map<string, number>();

  constructor(private readonly max = 100_000) {}

  /** Marks `key` used; false when it already was. */
  claim(key: string, expiresAtMs: number): boolean {
    const now = Date.now();
    const seen = this.entries.get(key);
    if (seen !== undefined && seen > now) return false;
    this.entries.set(key, expiresAtMs);
    if (this.entries.size > this.max) this.prune(now);
    return true;
  }

  private prune(now: number): void {
    for (const [key, exp] of this.entries) {
      if (exp <= now) this.entries.delete(key);
    }
    // Still full of live keys: drop the oldest. Their cookies expire within the TTL.
    while (this.entries.size > this.max) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }
}
