/**
 * Several instances of one app sharing login state in a real Redis (CacheStateStore
 * over cache-manager 7 + Keyv + @keyv/redis), bound to the browser that started the
 * login. Two Nest apps on two ports, each with its own Redis connection, behind one
 * load-balanced origin: the browser sees one site, one cookie jar and one redirect
 * URI, and each request is pinned to the instance the test names.
 */
import KeyvRedis, { createClient } from '@keyv/redis';
import { createCache, type Cache } from 'cache-manager';
import { Keyv } from 'keyv';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CacheStateStore } from '../../lib/index.js';
import { Browser, type BrowserResponse } from '../support/browser.js';
import { getOn, loginOn as crossLogin, type CrossLogin } from '../support/fleet.js';
import { startLoadBalancer, type LoadBalancer } from '../support/load-balancer.js';
import { startTestApp, type Platform, type TestApp } from '../support/nest-app.js';
import { ALICE, PROVIDER_PATHS, startOidcProvider, type OidcProviderHarness } from '../support/oidc-provider.js';
import { startRedis, type RedisHandle } from '../support/redis-server.js';

type Instance = 0 | 1;
const A: Instance = 0;
const B: Instance = 1;

interface OAuthBody {
  oauth: { client: string; token: { access_token: string; id_token?: string }; userinfo: { sub: string } };
}
interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
}

let op: OidcProviderHarness;
let redis: RedisHandle;
/** A plain Redis connection of the test, to look at what the instances stored. */
let inspector: ReturnType<typeof createClient>;
const caches: Cache[] = [];
const running: Array<{ close(): Promise<void> }> = [];
let seq = 0;

beforeAll(async () => {
  [op, redis] = await Promise.all([startOidcProvider(), startRedis()]);
  inspector = createClient({ url: redis.url });
  // While Redis is stopped on purpose, the connection reports errors and reconnects.
  inspector.on('error', () => undefined);
  await inspector.connect();
});
afterAll(async () => {
  inspector.destroy();
  await op.close();
  await redis.stop();
  // A client whose server is gone waits to reconnect; do not wait for it.
  await Promise.race([Promise.all(caches.map((c) => c.disconnect().catch(() => undefined))), new Promise((r) => setTimeout(r, 500))]);
});
afterEach(async () => {
  // The balancer first (it holds keep-alive connections to the apps), then the apps.
  for (const r of running.splice(0).toReversed()) await r.close();
});

interface Fleet {
  lb: LoadBalancer;
  apps: [TestApp, TestApp];
  /** The Keyv namespace of this fleet's state in Redis. */
  namespace: string;
  loginUrl: string;
}

/**
 * Two instances of one app, each with its own cache client on the same Redis, and a
 * balancer in front. The provider knows one redirect URI: the balancer's.
 */
async function startFleet(platforms: [Platform, Platform] = ['express', 'express'], opts: { memoryTier?: boolean } = {}): Promise<Fleet> {
  const n = ++seq;
  const namespace = `fleet${n}`;
  const client = { clientId: `fleet-${n}`, clientSecret: `fleet-secret-${n}-0123456789abcdef0123456789`, serverMetadataUrl: op.discoveryUrl, scope: 'openid profile' };
  const start = async (platform: Platform): Promise<TestApp> => {
    const shared = new Keyv({ store: new KeyvRedis(redis.url), namespace });
    // Optionally a per-instance memory tier in front of Redis, a common cache setup.
    const cache = createCache({ stores: opts.memoryTier ? [new Keyv(), shared] : [shared] });
    caches.push(cache);
    const app = await startTestApp({ platform, routes: [{ path: '/auth/op', client: 'op' }], oauth: { stateStore: new CacheStateStore(cache), clients: { op: client } } });
    running.push(app);
    return app;
  };
  const apps: [TestApp, TestApp] = [await start(platforms[0]), await start(platforms[1])];
  const lb = await startLoadBalancer(apps.map((a) => a.origin));
  running.push(lb);
  const loginUrl = `${lb.origin}/auth/op`;
  await op.addClient({ client_id: client.clientId, client_secret: client.clientSecret, redirect_uris: [loginUrl] });
  return { lb, apps, namespace, loginUrl };
}

/** A login on `instance` whose redirect URI is the one shared origin, whichever instance computed it. */
async function loginOn(browser: Browser, fleet: Fleet, instance: Instance): Promise<CrossLogin> {
  const started = await crossLogin(browser, fleet.loginUrl, instance, op.issuer);
  expect(started.authorizationUrl.searchParams.get('redirect_uri')).toBe(fleet.loginUrl);
  return started;
}

/** Keys this fleet holds in Redis. */
async function stateKeys(fleet: Fleet): Promise<string[]> {
  return inspector.keys(`${fleet.namespace}::*`);
}

const tokenRequests = (): number => op.count(PROVIDER_PATHS.token, 'POST');

function expectError(res: BrowserResponse, status: number, error: string): void {
  expect(res.status, res.text).toBe(status);
  expect(res.json<ErrorBody>()).toMatchObject({ statusCode: status, error });
}

describe('login state in Redis, shared by two instances', () => {
  it.each<[Platform, Platform]>([
    ['express', 'express'],
    ['fastify', 'fastify'],
    ['express', 'fastify'],
  ])('%s + %s: login on A, callback on B; a replay on A or B is refused without a token request', async (...platforms) => {
    const fleet = await startFleet(platforms);
    const browser = new Browser();
    const { callback, state, login } = await loginOn(browser, fleet, A);

    // Server-side state: only the HttpOnly binding cookie goes to the browser.
    const cookies = login.headers.getSetCookie();
    expect(cookies.filter((c) => c.startsWith('oauth_s_'))).toEqual([]);
    const bind = cookies.find((c) => c.startsWith('oauth_bind='));
    expect(bind).toBeDefined();
    expect(bind).toMatch(/;\s*HttpOnly/i);
    expect(bind).toMatch(/;\s*SameSite=Lax/i);
    expect(bind).toMatch(/;\s*Path=\//i);
    // One pending login in Redis, expiring with stateTtl (600 s), keyed by neither
    // the state nor the binding value alone.
    const pending = await stateKeys(fleet);
    expect(pending).toHaveLength(1);
    const ttl = await inspector.pTTL(pending[0]!);
    expect(ttl).toBeGreaterThan(590_000);
    expect(ttl).toBeLessThanOrEqual(600_000);
    const binding = browser.cookies(fleet.loginUrl).oauth_bind!;
    expect(pending[0]).not.toContain(state);
    expect(pending[0]).not.toContain(binding);

    const before = tokenRequests();
    const done = await getOn(browser, callback, B);
    expect(done.status, done.text).toBe(200);
    const body = done.json<OAuthBody>();
    expect(body.oauth.client).toBe('op');
    expect(body.oauth.userinfo.sub).toBe(ALICE.sub);
    expect(body.oauth.token.access_token).toEqual(expect.any(String));
    expect(tokenRequests()).toBe(before + 1);
    // Taken: nothing is left in Redis.
    expect(await stateKeys(fleet)).toEqual([]);

    for (const instance of [A, B]) {
      expectError(await getOn(browser, callback, instance), 401, 'mismatching_state');
    }
    expect(tokenRequests()).toBe(before + 1);
    expect(op.serverErrors).toEqual([]);
  });

  it('one callback delivered to both instances at once completes exactly once', async () => {
    const fleet = await startFleet();
    for (let round = 0; round < 10; round++) {
      const browser = new Browser();
      const { callback } = await loginOn(browser, fleet, round % 2 === 0 ? A : B);
      const before = tokenRequests();
      const answers = await Promise.all([getOn(browser, callback, A), getOn(browser, callback, B)]);
      expect(answers.map((r) => r.status).sort()).toEqual([200, 401]);
      expect(answers.find((r) => r.status === 401)!.json<ErrorBody>().error).toBe('mismatching_state');
      // The loser never reached the provider: one code exchange per login.
      expect(tokenRequests()).toBe(before + 1);
    }
    expect(await stateKeys(fleet)).toEqual([]);
  });

  it('with a per-instance memory tier in front of Redis, a state is still single-use across instances', async () => {
    const fleet = await startFleet(['express', 'express'], { memoryTier: true });
    for (const [from, to] of [
      [A, B],
      [B, A],
      [A, A],
    ] as const) {
      const browser = new Browser();
      const { callback } = await loginOn(browser, fleet, from);
      const before = tokenRequests();
      const done = await getOn(browser, callback, to);
      expect(done.status, done.text).toBe(200);
      // The instance that started the login still holds the state in its memory tier.
      for (const replayOn of [A, B]) expectError(await getOn(browser, callback, replayOn), 401, 'mismatching_state');
      const raced = new Browser();
      const second = await loginOn(raced, fleet, from);
      const answers = await Promise.all([getOn(raced, second.callback, A), getOn(raced, second.callback, B)]);
      expect(answers.map((r) => r.status).sort()).toEqual([200, 401]);
      expect(tokenRequests()).toBe(before + 2);
    }
    expect(await stateKeys(fleet)).toEqual([]);
  });

  it('200 logins spread over both instances, each completed on the other, all succeed without collision', { timeout: 60_000 }, async () => {
    const fleet = await startFleet();
    const before = tokenRequests();
    const results: Array<{ status: number; text: string; state: string; token?: string }> = [];
    let next = 0;
    const worker = async () => {
      while (next < 200) {
        const i = next++;
        const [from, to] = i % 2 === 0 ? [A, B] : [B, A];
        const browser = new Browser();
        const { callback, state } = await loginOn(browser, fleet, from);
        const res = await getOn(browser, callback, to);
        results.push({
          status: res.status,
          text: res.status === 200 ? '' : res.text,
          state,
          ...(res.status === 200 ? { token: res.json<OAuthBody>().oauth.token.access_token } : {}),
        });
      }
    };
    // 20 browsers at a time.
    await Promise.all(Array.from({ length: 20 }, worker));
    expect(results.filter((r) => r.status !== 200)).toEqual([]);
    expect(results).toHaveLength(200);
    // Every login had its own state and got its own token.
    expect(new Set(results.map((r) => r.state)).size).toBe(200);
    expect(new Set(results.map((r) => r.token)).size).toBe(200);
    expect(tokenRequests()).toBe(before + 200);
    // Each instance started 100 logins and completed 100.
    expect(fleet.lb.served).toEqual([200, 200]);
    expect(await stateKeys(fleet)).toEqual([]);
  });

  it('a callback carried to another browser is refused, and the real browser still completes it', async () => {
    const fleet = await startFleet();
    const victim = new Browser();
    const { callback } = await loginOn(victim, fleet, A);
    const before = tokenRequests();

    // A browser with no cookie for the site.
    expectError(await getOn(new Browser(), callback, B), 401, 'mismatching_state');
    // A browser with a binding cookie of its own (it started a login too).
    const other = new Browser();
    await loginOn(other, fleet, B);
    expect(other.cookies(fleet.loginUrl).oauth_bind).not.toBe(victim.cookies(fleet.loginUrl).oauth_bind);
    expectError(await getOn(other, callback, B), 401, 'mismatching_state');
    expectError(await getOn(other, callback, A), 401, 'mismatching_state');
    expect(tokenRequests()).toBe(before);
    // Both pending logins are untouched.
    expect(await stateKeys(fleet)).toHaveLength(2);

    const done = await getOn(victim, callback, B);
    expect(done.status, done.text).toBe(200);
    expect(done.json<OAuthBody>().oauth.userinfo.sub).toBe(ALICE.sub);
    expect(tokenRequests()).toBe(before + 1);
  });

  it('Redis stopped: logins and callbacks answer 503 in bounded time, other routes keep serving, logins work again after a restart', { timeout: 60_000 }, async () => {
    // A on Express, B on Fastify: both platforms map the store failure.
    const fleet = await startFleet(['express', 'fastify']);
    const browser = new Browser();
    const inFlight = await loginOn(browser, fleet, A);
    expect(await stateKeys(fleet)).toHaveLength(1);

    const tokensBefore = tokenRequests();
    await redis.stop();
    try {
      const started = Date.now();
      const timed = async <T>(p: Promise<T>): Promise<{ res: T; ms: number }> => {
        const res = await p;
        return { res, ms: Date.now() - started };
      };
      const health = (instance: Instance) => timed(getOn(new Browser(), `${fleet.lb.origin}/health`, instance));
      const logins = [A, B, A, B].map((i) => timed(getOn(new Browser(), fleet.loginUrl, i)));
      const callback = timed(getOn(browser, inFlight.callback, B));
      // Asked while the logins above wait on the store.
      const healthChecks = await Promise.all([health(A), health(B)]);
      const failed = [...(await Promise.all(logins)), await callback];
      // Health answered while the logins were still waiting on the store: it is not
      // queued behind them (an order, not a speed).
      const firstFailure = Math.min(...failed.map((f) => f.ms));
      for (const { res, ms } of healthChecks) {
        expect(res.status).toBe(200);
        expect(res.json()).toEqual({ ok: true });
        expect(ms).toBeLessThan(firstFailure);
      }
      for (const { res, ms } of failed) {
        expectError(res, 503, 'state_store_unavailable');
        // The store timeout is 2 s; a loose upper bound shows nothing hung.
        expect(ms).toBeLessThan(10_000);
      }
      // No code reached the provider while the state could not be checked.
      expect(tokenRequests()).toBe(tokensBefore);
    } finally {
      await redis.restart();
    }

    // The cache clients reconnect by themselves.
    const deadline = Date.now() + 15_000;
    let status = 0;
    while (Date.now() < deadline) {
      const [a, b] = await Promise.all([getOn(new Browser(), fleet.loginUrl, A), getOn(new Browser(), fleet.loginUrl, B)]);
      if (a.status === 302 && b.status === 302) {
        status = 302;
        break;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(status).toBe(302);

    // The restarted Redis kept nothing (no persistence): the old login is gone, cleanly.
    expectError(await getOn(browser, inFlight.callback, A), 401, 'mismatching_state');
    // New logins cross instances again, both ways.
    for (const [from, to] of [
      [A, B],
      [B, A],
    ] as const) {
      const fresh = new Browser();
      const { callback } = await loginOn(fresh, fleet, from);
      const done = await getOn(fresh, callback, to);
      expect(done.status, done.text).toBe(200);
      expect(done.json<OAuthBody>().oauth.userinfo.sub).toBe(ALICE.sub);
    }
  });
});
