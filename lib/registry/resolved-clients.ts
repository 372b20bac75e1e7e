interface Entry<C> {
  client: C;
  expiresAt: number;
}

/**
 * Clients built at run time from `resolveClient`: at most `max` kept, the least
 * recently used out first, each for `ttlMs`; concurrent first requests for one
 * name share one resolution. A failed resolution is not kept, so a fixed
 * configuration is picked up by the next request.
 */
export class ResolvedClients<C> {
  private readonly entries = new Map<string, Entry<C>>();
  private readonly inFlight = new Map<string, Promise<C>>();

  constructor(
    private readonly max: number,
    private readonly ttlMs: number,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** The cached client, else the one `build` makes (shared by concurrent callers). */
  get(name: string, build: () => Promise<C>): Promise<C> {
    const entry = this.entries.get(name);
    if (entry && entry.expiresAt > Date.now()) {
      // Map order is the recency order: a hit moves to the end.
      this.entries.delete(name);
      this.entries.set(name, entry);
      return Promise.resolve(entry.client);
    }
    if (entry) this.entries.delete(name);
    let pending = this.inFlight.get(name);
    if (!pending) {
      const run: Promise<C> = build().then(
        (client) => {
          // A `delete` while this resolution ran detached it: its answer may predate
          // the change that caused the delete, so it is not cached.
          if (this.inFlight.get(name) !== run) return client;
          this.inFlight.delete(name);
          this.entries.set(name, { client, expiresAt: Date.now() + this.ttlMs });
          while (this.entries.size > this.max) {
            const oldest = this.entries.keys().next().value as string;
            this.entries.delete(oldest);
          }
          return client;
        },
        (err: unknown) => {
          if (this.inFlight.get(name) === run) this.inFlight.delete(name);
          throw err;
        },
      );
      pending = run;
      this.inFlight.set(name, run);
    }
    return pending;
  }

  /** Drops the cached client and detaches a resolution under way (its answer is not kept). */
  delete(name: string): boolean {
    const pending = this.inFlight.delete(name);
    return this.entries.delete(name) || pending;
  }
}
