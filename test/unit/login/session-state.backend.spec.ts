import { describe, expect, it } from 'vitest';
import { SessionStateBackend } from '../../../lib/login/session-state.backend.js';
import { FakeBrowser } from '../../support/fake-browser.js';

describe('session state', () => {
  it('keeps pending logins in req.session, single use, bounded', async () => {
    const backend = new SessionStateBackend();
    const b = new FakeBrowser();
    await b.save(backend, 'a', { n: 1 });
    expect(await b.take(backend, 'a')).toEqual({ n: 1 });
    expect(await b.take(backend, 'a')).toBeUndefined();
    for (let i = 0; i < 30; i++) await b.save(backend, `k${i}`, { i });
    expect(Object.keys(b.session.oauthPendingLogins as object).length).toBeLessThanOrEqual(10);
    expect(await b.take(backend, '__proto__')).toBeUndefined();
  });

  it('works with get/set sessions (@fastify/secure-session)', async () => {
    const data = new Map<string, unknown>();
    const backend = new SessionStateBackend();
    const req = { headers: {}, session: { get: (k: string) => data.get(k), set: (k: string, v: unknown) => data.set(k, v) } };
    await backend.save(req, {}, 'k', { x: 1 }, 600);
    expect(await backend.take(req, {}, 'k')).toEqual({ x: 1 });
  });

  it('without a session middleware says what to install', async () => {
    const backend = new SessionStateBackend();
    await expect(backend.save({ headers: {} }, {}, 'k', {}, 600)).rejects.toMatchObject({
      code: 'invalid_config',
      message: expect.stringContaining('install express-session, @fastify/session or @fastify/secure-session'),
    });
  });
});
