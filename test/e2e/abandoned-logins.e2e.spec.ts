import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/nest-app.js';

setFlagsFromString('--expose_gc');
const gc = runInNewContext('gc') as () => void;

const client = {
  clientId: 'load',
  clientSecret: 'load-secret',
  authorizeUrl: 'https://provider.example/authorize',
  accessTokenUrl: 'https://provider.example/token',
  scope: 'openid',
};

/**
 * Starts `count` logins that never come back, `concurrency` at a time. Each is a
 * 302, or for a full server-side store whose entries are all younger than its
 * protection window, a 503 (it refuses rather than evict logins in progress).
 */
async function abandonLogins(origin: string, count: number, concurrency = 32, allowed: number[] = [302]): Promise<void> {
  let next = 0;
  let failures = 0;
  const worker = async () => {
    while (next < count) {
      next++;
      const res = await fetch(`${origin}/login`, { redirect: 'manual' });
      await res.arrayBuffer();
      if (!allowed.includes(res.status)) failures++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  expect(failures).toBe(0);
}

function heapAfterGc(): number {
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed;
}

describe('abandoned logins', () => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('leave the heap flat with the cookie store (100 000 logins)', { timeout: 180_000 }, async () => {
    t = await startTestApp({ platform: 'express', routes: [{ path: '/login', client: 'load' }], oauth: { clients: { load: client }, stateSecret: 'x'.repeat(32) } });
    await abandonLogins(t.origin, 5_000);
    const before = heapAfterGc();
    await abandonLogins(t.origin, 100_000);
    const after = heapAfterGc();
    // Nothing is kept per pending login on the server: growth is noise, not 100 000 entries.
    expect(after - before).toBeLessThan(8 * 1024 * 1024);
  });

  it('stay bounded with the memory store', { timeout: 180_000 }, async () => {
    t = await startTestApp({ platform: 'express', routes: [{ path: '/login', client: 'load' }], oauth: { clients: { load: client }, stateStore: 'memory' } });
    await abandonLogins(t.origin, 12_000, 32, [302, 503]);
    const full = heapAfterGc();
    await abandonLogins(t.origin, 40_000, 32, [302, 503]);
    const after = heapAfterGc();
    // The store holds at most its bound (10 000); past it, logins are refused until entries age.
    expect(after - full).toBeLessThan(8 * 1024 * 1024);
  });
});
