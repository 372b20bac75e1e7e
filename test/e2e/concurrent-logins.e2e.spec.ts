/**
 * 1 000 logins at once through the guard against a fast local provider: no state
 * collision, no error, each browser gets its own token.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser } from '../support/browser.js';
import { PLATFORMS, type TestApp } from '../support/nest-app.js';
import { ROGUE_PATHS, startRogueProvider, type RogueProvider } from '../support/rogue-provider.js';
import { appFor } from './rogue-support.js';

let rogue: RogueProvider;
beforeAll(async () => {
  rogue = await startRogueProvider();
});
afterAll(async () => {
  await rogue.close();
});

describe.each(PLATFORMS)('1 000 concurrent logins on %s', (platform) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await appFor(rogue, platform);
  });
  afterAll(async () => {
    await app.close();
  });

  it('all complete, each with its own token and no collision', { timeout: 120_000 }, async () => {
    const start = rogue.requests.length;
    const one = async () => {
      const browser = new Browser();
      const login = await browser.get(`${app.origin}/auth/op`);
      if (login.status !== 302) return { status: login.status, token: '' };
      const back = await browser.get(login.location!);
      const done = await browser.get(back.location!);
      return {
        status: done.status,
        token: done.status === 200 ? done.json<{ oauth: { token: { access_token: string } } }>().oauth.token.access_token : done.text,
      };
    };
    const results = await Promise.all(Array.from({ length: 1000 }, one));
    const failures = results.filter((r) => r.status !== 200);
    expect(failures).toEqual([]);
    expect(new Set(results.map((r) => r.token)).size).toBe(1000);
    // One token request per login, and discovery and JWKS fetched once for all.
    expect(rogue.count(ROGUE_PATHS.token, start)).toBe(1000);
    expect(rogue.count(ROGUE_PATHS.discovery, start)).toBeLessThanOrEqual(1);
    expect(rogue.count(ROGUE_PATHS.jwks, start)).toBeLessThanOrEqual(1);
  });
});
