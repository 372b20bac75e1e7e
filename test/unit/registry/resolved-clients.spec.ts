import { afterEach, describe, expect, it, vi } from 'vitest';
import { ResolvedClients } from '../../../lib/registry/resolved-clients.js';

/** A promise settled from outside, so a test decides when a resolution ends. */
function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

interface Client {
  name: string;
  build: number;
}

/** A cache whose builds are counted per name; each build makes a new object. */
function counted(max: number, ttlMs: number) {
  const cache = new ResolvedClients<Client>(max, ttlMs);
  const builds = new Map<string, number>();
  const get = (name: string) =>
    cache.get(name, async () => {
      const n = (builds.get(name) ?? 0) + 1;
      builds.set(name, n);
      return { name, build: n };
    });
  return { cache, builds, get };
}

describe('ResolvedClients', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('builds a client once and serves the same object afterwards', async () => {
    const { cache, builds, get } = counted(10, 60_000);
    const first = await get('a');
    const again = await get('a');
    expect(again).toBe(first);
    expect(builds.get('a')).toBe(1);
    expect(cache.size).toBe(1);
  });

  it('shares one build between concurrent first requests for a name', async () => {
    const cache = new ResolvedClients<Client>(10, 60_000);
    const work = deferred<Client>();
    let runs = 0;
    const callers = Array.from({ length: 50 }, () =>
      cache.get('a', () => {
        runs++;
        return work.promise;
      }),
    );
    expect(runs).toBe(1);
    // Nothing is cached until the build settles.
    expect(cache.size).toBe(0);
    const client = { name: 'a', build: 1 };
    work.resolve(client);
    for (const got of await Promise.all(callers)) expect(got).toBe(client);
    expect(cache.size).toBe(1);
  });

  it('keeps different names apart: one slow build does not hold up another', async () => {
    const cache = new ResolvedClients<Client>(10, 60_000);
    const slow = deferred<Client>();
    const a = cache.get('a', () => slow.promise);
    const b = await cache.get('b', async () => ({ name: 'b', build: 1 }));
    expect(b.name).toBe('b');
    slow.resolve({ name: 'a', build: 1 });
    expect((await a).name).toBe('a');
    expect(cache.size).toBe(2);
  });

  it('does not keep a failed build: every concurrent caller sees the failure, the next request builds again', async () => {
    const cache = new ResolvedClients<Client>(10, 60_000);
    const work = deferred<Client>();
    let runs = 0;
    const callers = Array.from({ length: 5 }, () =>
      cache.get('a', () => {
        runs++;
        return work.promise;
      }),
    );
    const failure = new Error('database down');
    work.reject(failure);
    for (const result of await Promise.allSettled(callers)) expect(result).toEqual({ status: 'rejected', reason: failure });
    expect(runs).toBe(1);
    expect(cache.size).toBe(0);

    const fixed = await cache.get('a', async () => {
      runs++;
      return { name: 'a', build: 2 };
    });
    expect(fixed.build).toBe(2);
    expect(runs).toBe(2);
    expect(cache.size).toBe(1);
  });

  it('keeps at most max clients, the least recently used out first', async () => {
    const { cache, builds, get } = counted(3, 60_000);
    await get('a');
    await get('b');
    await get('c');
    // A hit makes `a` the most recently used: `b` is now the oldest.
    await get('a');
    await get('d');
    expect(cache.size).toBe(3);
    // a, c, d are kept (no new build); b was evicted and is built again.
    await get('a');
    await get('c');
    await get('d');
    expect([builds.get('a'), builds.get('c'), builds.get('d')]).toEqual([1, 1, 1]);
    await get('b');
    expect(builds.get('b')).toBe(2);
    expect(cache.size).toBe(3);
  });

  it('stays at max however many names pass through', async () => {
    const { cache, get } = counted(100, 60_000);
    for (let i = 0; i < 5_000; i++) await get(`t${i}`);
    expect(cache.size).toBe(100);
    // The most recent hundred are the ones kept.
    const last = await get('t4999');
    expect(last.build).toBe(1);
    const first = await get('t0');
    expect(first.build).toBe(2);
  });

  it('resolves a client again once its TTL has passed, and keeps it until then', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { builds, get } = counted(10, 1_000);
    const first = await get('a');
    vi.advanceTimersByTime(999);
    expect(await get('a')).toBe(first);
    vi.advanceTimersByTime(1);
    const second = await get('a');
    expect(second).not.toBe(first);
    expect(builds.get('a')).toBe(2);
  });

  it('does not extend the TTL on a hit: recency is for eviction, not lifetime', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { builds, get } = counted(10, 1_000);
    await get('a');
    for (let i = 0; i < 4; i++) {
      vi.advanceTimersByTime(300);
      await get('a');
    }
    // 1.2 s after the build: past its TTL despite the hits in between.
    expect(builds.get('a')).toBe(2);
  });

  it('shares one re-resolution between concurrent requests for an expired client', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const cache = new ResolvedClients<Client>(10, 1_000);
    await cache.get('a', async () => ({ name: 'a', build: 1 }));
    vi.advanceTimersByTime(1_000);
    const work = deferred<Client>();
    let runs = 0;
    const callers = Array.from({ length: 20 }, () =>
      cache.get('a', () => {
        runs++;
        return work.promise;
      }),
    );
    expect(runs).toBe(1);
    work.resolve({ name: 'a', build: 2 });
    for (const got of await Promise.all(callers)) expect(got.build).toBe(2);
  });

  it('delete drops a cached client, so the next request resolves it again', async () => {
    const { cache, builds, get } = counted(10, 60_000);
    await get('a');
    expect(cache.delete('a')).toBe(true);
    expect(cache.delete('a')).toBe(false);
    expect(cache.size).toBe(0);
    await get('a');
    expect(builds.get('a')).toBe(2);
  });

  it('delete during a resolution keeps its (stale) answer out of the cache, and a later request resolves afresh', async () => {
    // An app drops a tenant's client after changing its configuration while a request
    // is still resolving the old one: that answer must not be cached for a whole TTL.
    const cache = new ResolvedClients<Client>(10, 60_000);
    const stale = deferred<Client>();
    const inFlight = cache.get('a', () => stale.promise);
    cache.delete('a');
    const fresh = cache.get('a', async () => ({ name: 'a', build: 2 }));
    stale.resolve({ name: 'a', build: 1 });
    // The request already waiting gets the answer it asked for.
    expect((await inFlight).build).toBe(1);
    expect((await fresh).build).toBe(2);
    expect((await cache.get('a', async () => ({ name: 'a', build: 3 }))).build).toBe(2);
    expect(cache.size).toBe(1);
  });
});
