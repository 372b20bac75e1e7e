/**
 * Audit item 6 and the CacheStateStore bound: a flood of anonymous login requests
 * (no cookie, no provider call) must not push a victim's pending login out of a
 * server-side store. The memory store (10,000 entries) after 10,000 anonymous
 * logins, and a CacheStateStore over a real cache-manager 7 cache with its bound
 * set low: past the bound, logins are refused (503) while everything younger than
 * `protectSeconds` stays; once the flood's entries are older than that, new logins
 * make room by pushing them out. On Express and Fastify.
 */
import { createCache } from 'cache-manager';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CacheStateStore, type OAuthModuleOptions } from '../../lib/index.js';
import { Browser } from '../support/browser.js';
import { startHostileProvider, type HostileProvider } from '../support/hostile-provider.js';
import { PLATFORMS, startTestApp, type TestApp } from '../support/nest-app.js';

let op: HostileProvider;

beforeAll(async () => {
  op = await startHostileProvider();
});
afterAll(async () => {
  await op.close();
});

/** `count` login requests with no cookie, `concurrency` at a time; answers per status. */
async function flood(url: string, count: number, concurrency = 32): Promise<Map<number, number>> {
  const statuses = new Map<number, number>();
  let sent = 0;
  const worker = async () => {
    while (sent < count) {
      sent++;
      const res = await fetch(url, { redirect: 'manual' });
      await res.arrayBuffer();
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return statuses;
}

/**
 * The victim's login, started at the app (its pending login is stored now). The
 * provider is visited only after the flood: its codes live 60 s, and a flood on a
 * loaded machine can last longer than that.
 */
async function victimStarts(origin: string): Promise<{ browser: Browser; authorizeUrl: string }> {
  const browser = new Browser();
  const login = await browser.get(`${origin}/auth/op`);
  expect(login.status, login.text).toBe(302);
  return { browser, authorizeUrl: login.location! };
}

/** The victim finishes at the provider and comes back: the app's answer. */
async function victimCompletes(victim: { browser: Browser; authorizeUrl: string }) {
  const authorize = await victim.browser.get(victim.authorizeUrl);
  expect(authorize.status).toBe(302);
  return victim.browser.get(authorize.location!);
}

describe.each(PLATFORMS)('a login flood on %s', (platform) => {
  let app: TestApp | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  const start = async (oauth: OAuthModuleOptions) => {
    app = await startTestApp({ platform, oauth, client: op.client, backlog: 1024 });
    return app;
  };

  it('memory store: 10,000 anonymous logins do not evict the victim\'s pending login', { timeout: 180_000 }, async () => {
    const a = await start({ stateStore: 'memory' });
    const victim = await victimStarts(a.origin);
    const statuses = await flood(`${a.origin}/auth/op`, 10_000);
    expect([...statuses.keys()].every((s) => s === 302 || s === 503), JSON.stringify([...statuses])).toBe(true);
    const done = await victimCompletes(victim);
    expect(done.status, done.text).toBe(200);
  });

  it('CacheStateStore: past its bound new logins are 503, pending ones complete, and room returns as entries age', { timeout: 60_000 }, async () => {
    const store = new CacheStateStore(createCache(), { maxPending: 50, protectSeconds: 1 });
    const a = await start({ stateStore: store });
    const victim = await victimStarts(a.origin);
    const statuses = await flood(`${a.origin}/auth/op`, 100, 8);
    expect(statuses.get(302)).toBe(49);
    expect(statuses.get(503)).toBe(51);
    const refused = await fetch(`${a.origin}/auth/op`, { redirect: 'manual' });
    expect(refused.status).toBe(503);
    expect(await refused.json()).toMatchObject({ statusCode: 503, error: 'state_store_unavailable' });
    // The victim completes: its entry was never pushed out, and its slot frees.
    const done = await victimCompletes(victim);
    expect(done.status, done.text).toBe(200);
    expect((await fetch(`${a.origin}/auth/op`, { redirect: 'manual' })).status).toBe(302);
    // Once the flood's entries are older than protectSeconds, they make room.
    await new Promise((r) => setTimeout(r, 1_200));
    const later = await flood(`${a.origin}/auth/op`, 20, 4);
    expect(later.get(302)).toBe(20);
  });
});
