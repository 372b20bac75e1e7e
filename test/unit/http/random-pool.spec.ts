import { describe, expect, it } from 'vitest';
import { randomBytesFromPool } from '../../../lib/http/random-pool.js';

describe('randomBytesFromPool', () => {
  it('hands out the size asked, never the same bytes twice, across pool refills', () => {
    const seen = new Set<string>();
    // 32 bytes x 1000 crosses several 4 KB refills.
    for (let i = 0; i < 1000; i++) {
      const b = randomBytesFromPool(32);
      expect(b).toHaveLength(32);
      seen.add(b.toString('hex'));
    }
    expect(seen.size).toBe(1000);
  });

  it('serves sizes over the pool directly', () => {
    expect(randomBytesFromPool(10_000)).toHaveLength(10_000);
  });

  it('hands out a copy: changing it changes nothing handed out later', () => {
    const a = randomBytesFromPool(16);
    a.fill(0);
    const b = randomBytesFromPool(16);
    expect(b.equals(Buffer.alloc(16))).toBe(false);
  });
});
