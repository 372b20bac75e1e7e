import { describe, expect, it } from 'vitest';
import { ConsumedStates } from '../../../lib/state/consumed-states.js';

describe('ConsumedStates', () => {
  it('refuses a key claimed before, until it expires', () => {
    const c = new ConsumedStates();
    const later = Date.now() + 60_000;
    expect(c.claim('a', later)).toBe(true);
    expect(c.claim('a', later)).toBe(false);
    const c2 = new ConsumedStates();
    expect(c2.claim('b', Date.now() - 1)).toBe(true);
    expect(c2.claim('b', Date.now() + 60_000)).toBe(true);
  });

  it('drops expired entries as claims arrive, so it does not grow', () => {
    const c = new ConsumedStates(1_000_000);
    for (let i = 0; i < 10_000; i++) c.claim(`old-${i}`, Date.now() - 1);
    c.claim('fresh', Date.now() + 60_000);
    expect(c.size).toBe(1);
  });

  it('past its bound keeps the newest entries, with a constant amount of work per claim', () => {
    const c = new ConsumedStates(1_000);
    const later = Date.now() + 60_000;
    for (let i = 0; i < 5_000; i++) expect(c.claim(`k${i}`, later)).toBe(true);
    expect(c.size).toBe(1_000);
    expect(c.claim('k4999', later)).toBe(false);
    expect(c.claim('k4000', later)).toBe(false);
  });
});
