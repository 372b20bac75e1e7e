/**
 * 1 000 logins at once through the guard against the (fast, local) hostile provider
 * in its honest default: no state collision, no error, each browser gets its own
 * token, and discovery and keys are fetched once for all.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser } from '../support/browser.js';
import { PLATFORMS, startTestApp, type TestApp } from '../support/nest-app.js';
import { HOSTILE_PATHS, startHostileProvider, walkLogin, type HostileProvider } from '../support/hostile-provider.js';

let op: HostileProvider;
beforeAll(async () => {
  op = await startHostileProvider();
});
afterAll(async () => {
  await op.close();
});

describe.each(PLATFORMS)('1 000 concurrent logins on %s', (platform) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ platform, client: op.client, backlog: 2048 });
  });
  afterAll(async () => {
    await app.close();
  });

  it('all complete, each with its own token and no collision', { timeout: 120_000 }, async () => {
    const start = op.mark();
    const one = async () => {
      const { login, callback } = await walkLogin(new Browser(), `${app.origin}/auth/op`, op);
      if (!callback) return { status: login.status, token: login.text };
      return {
        status: callback.status,
        token: callback.status === 200 ? callback.json<{ oauth: { token: { access_token: string } } }>().oauth.token.access_token : callback.text,
      };
    };
    const results = await Promise.all(Array.from({ length: 1000 }, one));
    const failures = results.filter((r) => r.status !== 200);
    expect(failures).toEqual([]);
    expect(new Set(results.map((r) => r.token)).size).toBe(1000);
    // One token request per login, none refused, and discovery and JWKS fetched once for all.
    expect(op.count(HOSTILE_PATHS.token, start)).toBe(1000);
    expect(op.exchanges.slice(-1000).every((e) => e.refusal === null)).toBe(true);
    expect(op.count(HOSTILE_PATHS.discovery, start)).toBeLessThanOrEqual(1);
    expect(op.count(HOSTILE_PATHS.jwks, start)).toBeLessThanOrEqual(1);
  });
});
