/**
 * Several instances of one app: login state in Redis (CacheStateStore over
 * cache-manager + Keyv), bound to the browser, and the cookie store with a shared
 * (and rotated) secret. Instances are two Nest apps on two ports.
 */
import { Global, Module } from '@nestjs/common';
import KeyvRedis from '@keyv/redis';
import { createCache, type Cache } from 'cache-manager';
import Keyv from 'keyv';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CacheStateStore, OAuthStateStore, type OAuthModuleOptions } from '../../lib/index.js';
import { Browser } from '../support/browser.js';
import { startTestApp, type TestApp } from '../support/nest-app.js';
import { PROVIDER_PATHS, loginForCallbackUrl, startAppLogin, startOidcProvider, type OidcProviderHarness } from '../support/oidc-provider.js';
import { startRedis, type RedisHandle } from '../support/redis-server.js';

let op: OidcProviderHarness;
let redis: RedisHandle;
const caches: Cache[] = [];
const apps: TestApp[] = [];
let seq = 0;

beforeAll(async () => {
  op = await startOidcProvider();
  redis = await startRedis();
});
afterAll(async () => {
  await op.close();
  await redis.stop();
  await Promise.race([Promise.all(caches.map((c) => c.disconnect().catch(() => undefined))), new Promise((r) => setTimeout(r, 500))]);
});
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
});

function redisStore(): CacheStateStore {
  const cache = createCache({ stores: [new Keyv({ store: new KeyvRedis(redis.url), namespace: 'oauth-e2e' })] });
  caches.push(cache);
  return new CacheStateStore(cache);
}

/** Two instances of one app, each with its own options (its own Redis connection, say). */
async function twoInstances(options: () => OAuthModuleOptions): Promise<[TestApp, TestApp]> {
  const clientId = `fleet-${++seq}`;
  const clientSecret = `fleet-secret-${seq}-0123456789abcdef0123456789`;
  const client = { clientId, clientSecret, serverMetadataUrl: op.discoveryUrl, scope: 'openid profile' };
  const start = async () => {
    const opts = options();
    const app = await startTestApp({ platform: 'express', routes: [{ path: '/auth/op', client: 'op' }], oauth: { ...opts, clients: { op: client } } });
    apps.push(app);
    return app;
  };
  const a = await start();
  const b = await start();
  await op.addClient({ client_id: clientId, client_secret: clientSecret, redirect_uris: [`${a.origin}/auth/op`, `${b.origin}/auth/op`] });
  return [a, b];
}

/** A load balancer sends one browser to both instances under one host: share its cookies. */
function sameSite(browser: Browser, from: string, to: string): void {
  for (const [k, v] of Object.entries(browser.cookies(from))) browser.setCookie(to, k, v);
}

/** Starts a login on `a`, plays the provider, and returns the callback moved to `b`. */
async function loginOnAcallbackForB(browser: Browser, a: TestApp, b: TestApp): Promise<string> {
  const { authorizationUrl } = await startAppLogin(browser, `${a.origin}/auth/op`);
  const back = new URL(await loginForCallbackUrl(browser, authorizationUrl.toString(), a.origin));
  sameSite(browser, a.origin, b.origin);
  return `${b.origin}${back.pathname}${back.search}`;
}

describe('login state in Redis across instances', () => {
  it('login on A, callback on B succeeds; replaying it on A fails and sends nothing', async () => {
    const [a, b] = await twoInstances(() => ({ stateStore: redisStore() }));
    const browser = new Browser();
    const callback = await loginOnAcallbackForB(browser, a, b);
    const done = await browser.get(callback);
    expect(done.status, done.text).toBe(200);
    expect(done.json<{ oauth: { userinfo: { sub: string } } }>().oauth.userinfo.sub).toBe('alice');
    const tokens = op.count(PROVIDER_PATHS.token, 'POST');
    const replay = await browser.get(callback.replace(b.origin, a.origin));
    expect(replay.status).toBe(401);
    expect(replay.json<{ error: string }>().error).toBe('mismatching_state');
    expect(op.count(PROVIDER_PATHS.token, 'POST')).toBe(tokens);
  });

  it('200 logins spread over both instances, each completed on the other, all succeed', { timeout: 120_000 }, async () => {
    const [a, b] = await twoInstances(() => ({ stateStore: redisStore() }));
    let next = 0;
    const statuses: number[] = [];
    const subs = new Set<string>();
    const worker = async () => {
      while (next < 200) {
        const i = next++;
        const [from, to] = i % 2 === 0 ? [a, b] : [b, a];
        const browser = new Browser();
        const res = await browser.get(await loginOnAcallbackForB(browser, from, to));
        statuses.push(res.status);
        if (res.status === 200) subs.add(res.json<{ oauth: { token: { access_token: string } } }>().oauth.token.access_token);
      }
    };
    await Promise.all(Array.from({ length: 20 }, worker));
    expect(statuses).toEqual(Array(200).fill(200));
    // No two logins got each other's result.
    expect(subs.size).toBe(200);
  });

  it('a callback carried to another browser fails, and the real browser still completes it', async () => {
    const [a, b] = await twoInstances(() => ({ stateStore: redisStore() }));
    const attacker = new Browser();
    const callback = await loginOnAcallbackForB(attacker, a, b);
    const victim = new Browser();
    await victim.get(`${a.origin}/auth/op`); // the victim has a binding cookie of its own
    sameSite(victim, a.origin, b.origin);
    const carried = await victim.get(callback);
    expect(carried.status).toBe(401);
    expect(carried.json<{ error: string }>().error).toBe('mismatching_state');
    expect((await attacker.get(callback)).status).toBe(200);
  });

  it('Redis stopped: logins answer 503 within the limit while other routes serve; they work again once it is back', async () => {
    const [a] = await twoInstances(() => ({ stateStore: redisStore() }));
    await redis.stop();
    try {
      const started = Date.now();
      const res = await new Browser().get(`${a.origin}/auth/op`);
      expect(res.status).toBe(503);
      expect(res.json()).toMatchObject({ statusCode: 503, error: 'state_store_unavailable' });
      // Bounded by the 2 s store timeout, not hung (a loose bound: this is no speed test).
      expect(Date.now() - started).toBeLessThan(10_000);
      expect((await new Browser().get(`${a.origin}/health`)).json()).toEqual({ ok: true });
    } finally {
      await redis.restart();
    }
    let status = 0;
    for (let i = 0; i < 20 && status !== 302; i++) {
      status = (await new Browser().get(`${a.origin}/auth/op`)).status;
      if (status !== 302) await new Promise((r) => setTimeout(r, 250));
    }
    expect(status).toBe(302);
    const browser = new Browser();
    const { authorizationUrl } = await startAppLogin(browser, `${a.origin}/auth/op`);
    expect((await browser.get(await loginForCallbackUrl(browser, authorizationUrl.toString(), a.origin))).status).toBe(200);
  });

  it('an OAuthStateStore provider is used when no stateStore option is given', async () => {
    const store = redisStore();
    const writes: string[] = [];
    const spy = new (class extends OAuthStateStore {
      async set(key: string, data: object, ttl: number) {
        writes.push(key);
        return store.set(key, data, ttl);
      }
      take(key: string) {
        return store.take(key);
      }
    })();
    @Global()
    @Module({ providers: [{ provide: OAuthStateStore, useValue: spy }], exports: [OAuthStateStore] })
    class StoreModule {}
    const app = await startTestApp({
      platform: 'express',
      routes: [{ path: '/auth/op', client: 'op' }],
      imports: [StoreModule],
      oauth: { clients: { op: { clientId: 'x', serverMetadataUrl: op.discoveryUrl, scope: 'openid' } } },
    });
    apps.push(app);
    const res = await new Browser().get(`${app.origin}/auth/op`);
    expect(res.status).toBe(302);
    expect(writes).toHaveLength(1);
    expect(res.headers.getSetCookie().some((c) => c.startsWith('oauth_bind='))).toBe(true);
  });
});

describe('the cookie store across instances', () => {
  const oldSecret = 'o'.repeat(40);
  const newSecret = 'n'.repeat(40);

  it('instances sharing OAUTH_STATE_SECRET accept each other\'s cookies', async () => {
    const [a, b] = await twoInstances(() => ({ stateSecret: oldSecret }));
    const browser = new Browser();
    expect((await browser.get(await loginOnAcallbackForB(browser, a, b))).status).toBe(200);
  });

  it('a rotated list ([new, old]) completes logins started under the old secret; another secret refuses', async () => {
    let round = 0;
    const [a, b] = await twoInstances(() => (round++ === 0 ? { stateSecret: oldSecret } : { stateSecret: [newSecret, oldSecret] }));
    const browser = new Browser();
    expect((await browser.get(await loginOnAcallbackForB(browser, a, b))).status).toBe(200);
    // And the other way: B encrypts with the new secret, which A (old only) cannot read.
    const other = new Browser();
    const res = await other.get(await loginOnAcallbackForB(other, b, a));
    expect(res.status).toBe(401);
    expect(res.json<{ error: string }>().error).toBe('mismatching_state');
  });
});
