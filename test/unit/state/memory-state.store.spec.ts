import { describe, expect, it } from 'vitest';
import { MemoryStateStore } from '../../../lib/state/memory-state.store.js';

describe('MemoryStateStore', () => {
  it('is bounded and expires entries; past protectSeconds the oldest make room', async () => {
    const store = new MemoryStateStore(100, 0);
    for (let i = 0; i < 1000; i++) await store.set(`k${i}`, { i }, 600);
    expect(store.size).toBeLessThanOrEqual(100);
    expect(await store.take('k999')).toEqual({ i: 999 });
    expect(await store.take('k0')).toBeUndefined();
    await store.set('gone', {}, -1);
    expect(await store.take('gone')).toBeUndefined();
  });

  it('never evicts an entry younger than protectSeconds: a full store refuses new ones (503)', async () => {
    const store = new MemoryStateStore(100);
    await store.set('victim', { v: 1 }, 600);
    for (let i = 0; i < 99; i++) await store.set(`flood${i}`, { i }, 600);
    await expect(store.set('flood-more', {}, 600)).rejects.toMatchObject({ code: 'state_store_unavailable', name: 'OAuthStateStoreError' });
    expect(await store.take('victim')).toEqual({ v: 1 });
    // A taken entry frees its place.
    await store.set('next', { n: 1 }, 600);
    expect(store.size).toBe(100);
  });

  it('expired entries make room whatever their age', async () => {
    const store = new MemoryStateStore(10);
    for (let i = 0; i < 10; i++) await store.set(`old${i}`, {}, 0.001);
    await new Promise((r) => setTimeout(r, 10));
    await store.set('fresh', { f: 1 }, 600);
    expect(await store.take('fresh')).toEqual({ f: 1 });
  });
});
