import KeyvRedis from '@keyv/redis';
import { createCache, type Cache } from 'cache-manager';
import Keyv from 'keyv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CacheStateStore } from '../../../lib/index.js';
import { BoundStoreBackend } from '../../../lib/login/bound-store.backend.js';
import { startRedis, type RedisHandle } from '../../support/redis-server.js';

let redis: RedisHandle;
const caches: Cache[] = [];

function redisCache(): Cache {
  const cache = createCache({ stores: [new Keyv({ store: new KeyvRedis(redis.url), namespace: 'oauth-test' })] });
  caches.push(cache);
  return cache;
}

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis.stop();
  // A client of a stopped server would wait to reconnect; do not wait for it.
  await Promise.race([Promise.all(caches.map((c) => c.disconnect().catch(() => undefined))), new Promise((r) => setTimeout(r, 500))]);
});

describe('CacheStateStore on a real Redis', () => {
  it('stores, takes once, and expires', async () => {
    const store = new CacheStateStore(redisCache());
    await store.set('k1', { a: 1 }, 60);
    expect(await store.take('k1')).toEqual({ a: 1 });
    expect(await store.take('k1')).toBeUndefined();
    await store.set('k2', { a: 2 }, 0.2);
    await new Promise((r) => setTimeout(r, 400));
    expect(await store.take('k2')).toBeUndefined();
  });

  it('of two instances racing for one key, exactly one gets the data', async () => {
    const a = new CacheStateStore(redisCache());
    const b = new CacheStateStore(redisCache());
    for (let i = 0; i < 50; i++) {
      await a.set(`race-${i}`, { i }, 60);
      const results = await Promise.all([a.take(`race-${i}`), b.take(`race-${i}`), a.take(`race-${i}`), b.take(`race-${i}`)]);
      expect(results.filter((r) => r !== undefined)).toEqual([{ i }]);
    }
  });

  it('a stopped Redis gives state_store_unavailable within the limit, and recovery after restart', async () => {
    const backend = new BoundStoreBackend(new CacheStateStore(redisCache()), 500);
    const req = { headers: { cookie: `oauth_bind=${'b'.repeat(43)}` }, protocol: 'http' };
    const res = { getHeader: () => undefined, setHeader: () => undefined };
    await backend.save(req, res, 'before', { ok: 1 }, 60);
    await redis.stop();
    const started = Date.now();
    await expect(backend.save(req, res, 'during', { ok: 2 }, 60)).rejects.toMatchObject({ code: 'state_store_unavailable' });
    await expect(backend.take(req, res, 'before')).rejects.toMatchObject({ code: 'state_store_unavailable' });
    expect(Date.now() - started).toBeLessThan(10_000);
    await redis.restart();
    // The client reconnects by itself; the first operations may still be queued.
    let saved = false;
    for (let i = 0; i < 20 && !saved; i++) {
      saved = await backend.save(req, res, 'after', { ok: 3 }, 60).then(
        () => true,
        () => false,
      );
    }
    expect(saved).toBe(true);
    expect(await backend.take(req, res, 'after')).toEqual({ ok: 3 });
  });
});
