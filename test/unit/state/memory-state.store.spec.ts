import { describe, expect, it } from 'vitest';
import { MemoryStateStore } from '../../../lib/state/memory-state.store.js';

describe('MemoryStateStore', () => {
  it('is bounded and expires entries', async () => {
    const store = new MemoryStateStore(100);
    for (let i = 0; i < 1000; i++) await store.set(`k${i}`, { i }, 600);
    expect(store.size).toBeLessThanOrEqual(100);
    expect(await store.take('k999')).toEqual({ i: 999 });
    expect(await store.take('k0')).toBeUndefined();
    await store.set('gone', {}, -1);
    expect(await store.take('gone')).toBeUndefined();
  });
});
