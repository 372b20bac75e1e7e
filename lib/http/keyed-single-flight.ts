/**
 * One in-flight promise per key: concurrent callers with the same key share it,
 * and the key is free again once it settles (a failure is not remembered).
 */
export class KeyedSingleFlight<K, V> {
  private readonly inFlight = new Map<K, Promise<V>>();

  run(key: K, fn: () => Promise<V>): Promise<V> {
    let pending = this.inFlight.get(key);
    if (!pending) {
      pending = fn().finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, pending);
    }
    return pending;
  }

  get size(): number {
    return this.inFlight.size;
  }
}
