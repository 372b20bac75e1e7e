/**
 * An `OAuthStateStore` given as a Nest provider rather than as the `stateStore`
 * option: the ways an application can hand the module its Redis store (a global
 * provider with useClass or useValue, `forRootAsync({ imports })`, or
 * `forRootAsync({ inject: [CACHE_MANAGER] })` over `@nestjs/cache-manager`), each
 * proved with two instances behind one origin where it matters.
 */
import { Global, Inject, Injectable, Module, type DynamicModule, type Provider, type Type } from '@nestjs/common';
import { CACHE_MANAGER, CacheModule } from '@nestjs/cache-manager';
import KeyvRedis, { createClient } from '@keyv/redis';
import { createCache, type Cache } from 'cache-manager';
import { Keyv } from 'keyv';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CacheStateStore, OAuthModule, OAuthStateStore, type OAuthClientConfig } from '../../lib/index.js';
import { Browser } from '../support/browser.js';
import { getOn, loginOn } from '../support/fleet.js';
import { startLoadBalancer } from '../support/load-balancer.js';
import { OP_ROUTE, startTestApp, type Platform } from '../support/nest-app.js';
import { ALICE, PROVIDER_PATHS, startOidcProvider, type OidcProviderHarness } from '../support/oidc-provider.js';
import { startRedis, type RedisHandle } from '../support/redis-server.js';

let op: OidcProviderHarness;
let redis: RedisHandle;
let inspector: ReturnType<typeof createClient>;
const caches: Cache[] = [];
const running: Array<{ close(): Promise<void> }> = [];
let seq = 0;

beforeAll(async () => {
  [op, redis] = await Promise.all([startOidcProvider(), startRedis()]);
  inspector = createClient({ url: redis.url });
  inspector.on('error', () => undefined);
  await inspector.connect();
});
afterAll(async () => {
  inspector.destroy();
  await op.close();
  await redis.stop();
  await Promise.race([Promise.all(caches.map((c) => c.disconnect().catch(() => undefined))), new Promise((r) => setTimeout(r, 500))]);
});
afterEach(async () => {
  for (const r of running.splice(0).toReversed()) await r.close();
});

/**
 * An app module as a user writes it: the given imports bring the OAuth module (no
 * `forRoot` of the fixture's own), the given providers, one guarded route at
 * `/auth/op`. Closed after the test; answers the app's origin.
 */
async function startApp(platform: Platform, imports: Array<Type | DynamicModule>, providers: Provider[] = []): Promise<string> {
  const app = await startTestApp({ platform, routes: [OP_ROUTE], oauth: false, imports, providers });
  running.push(app);
  return app.origin;
}

/** A provider client for a fleet whose shared origin is known only once its balancer runs. */
function newClient(): OAuthClientConfig & { clientId: string; clientSecret: string } {
  const n = ++seq;
  return { clientId: `wired-${n}`, clientSecret: `wired-secret-${n}-0123456789abcdef0123456789`, serverMetadataUrl: op.discoveryUrl, scope: 'openid' };
}

/** Keyv over the test Redis, one namespace per test so its keys can be counted. */
function redisKeyv(namespace: string): Keyv {
  return new Keyv({ store: new KeyvRedis(redis.url), namespace });
}

/**
 * Starts the given app twice behind a balancer, registers the client for the shared
 * redirect URI, then proves a login started on one instance completes on the other
 * with its state in Redis under `namespace`.
 */
async function provesCrossInstanceLogin(
  client: { clientId: string; clientSecret: string },
  namespace: string,
  start: () => Promise<string>,
  second: () => Promise<string> = start,
): Promise<void> {
  const origins = [await start(), await second()];
  const lb = await startLoadBalancer(origins);
  running.push(lb);
  const loginUrl = `${lb.origin}/auth/op`;
  await op.addClient({ client_id: client.clientId, client_secret: client.clientSecret, redirect_uris: [loginUrl] });

  const browser = new Browser();
  const { login, callback } = await loginOn(browser, loginUrl, 0, op.issuer);
  expect(login.headers.getSetCookie().some((c) => c.startsWith('oauth_bind='))).toBe(true);
  expect(login.headers.getSetCookie().some((c) => c.startsWith('oauth_s_'))).toBe(false);
  expect(await inspector.keys(`${namespace}::*`)).toHaveLength(1);
  const done = await getOn(browser, callback, 1);
  expect(done.status, done.text).toBe(200);
  expect(done.json<{ oauth: { userinfo: { sub: string } } }>().oauth.userinfo.sub).toBe(ALICE.sub);
  expect(await inspector.keys(`${namespace}::*`)).toEqual([]);
  const tokens = op.count(PROVIDER_PATHS.token, 'POST');
  const replay = await getOn(browser, callback, 0);
  expect(replay.status).toBe(401);
  expect(replay.json<{ error: string }>().error).toBe('mismatching_state');
  expect(op.count(PROVIDER_PATHS.token, 'POST')).toBe(tokens);
}

/** A store that records what it is asked, in front of a real one. */
class RecordingStore extends OAuthStateStore {
  readonly sets: string[] = [];
  readonly takes: string[] = [];
  constructor(private readonly inner: OAuthStateStore) {
    super();
  }
  override async set(key: string, data: object, ttlSeconds: number): Promise<void> {
    this.sets.push(key);
    await this.inner.set(key, data, ttlSeconds);
  }
  override async take(key: string): Promise<object | undefined> {
    this.takes.push(key);
    return this.inner.take(key);
  }
}

describe('an OAuthStateStore provider of the application', () => {
  it('useClass in a @Global() module, the class injecting CACHE_MANAGER: two instances share Redis', async () => {
    const client = newClient();
    const namespace = `wired-class-${seq}`;
    @Injectable()
    class RedisStateStore extends CacheStateStore {
      constructor(@Inject(CACHE_MANAGER) cache: Cache) {
        super(cache);
      }
    }
    const instance = async (platform: Platform) => {
      @Global()
      @Module({ providers: [{ provide: OAuthStateStore, useClass: RedisStateStore }], exports: [OAuthStateStore] })
      class StateStoreModule {}
      return startApp(platform, [
        CacheModule.register({ isGlobal: true, stores: [redisKeyv(namespace)] }),
        StateStoreModule,
        OAuthModule.forRoot({ clients: { op: client } }),
      ]);
    };
    await provesCrossInstanceLogin(client, namespace, () => instance('express'), () => instance('fastify'));
  });

  it('useValue in a @Global() module is the store of every login and callback', async () => {
    const client = newClient();
    const namespace = `wired-value-${seq}`;
    const cache = createCache({ stores: [redisKeyv(namespace)] });
    caches.push(cache);
    const recording = new RecordingStore(new CacheStateStore(cache));
    @Global()
    @Module({ providers: [{ provide: OAuthStateStore, useValue: recording }], exports: [OAuthStateStore] })
    class StateStoreModule {}
    await provesCrossInstanceLogin(client, namespace, () => startApp('express', [StateStoreModule, OAuthModule.forRoot({ clients: { op: client } })]));
    // Both instances used it: one set (login on A), two takes (callback on B, replay on A).
    expect(recording.sets).toHaveLength(1);
    expect(recording.takes).toHaveLength(2);
    expect(recording.takes[0]).toBe(recording.sets[0]);
  });

  it('forRootAsync({ imports }) sees a store exported by a module that is not global', async () => {
    const client = newClient();
    const namespace = `wired-imports-${seq}`;
    const instance = async () => {
      const cache = createCache({ stores: [redisKeyv(namespace)] });
      caches.push(cache);
      @Module({ providers: [{ provide: OAuthStateStore, useValue: new CacheStateStore(cache) }], exports: [OAuthStateStore] })
      class StateStoreModule {}
      return startApp('express', [OAuthModule.forRootAsync({ imports: [StateStoreModule], useFactory: () => ({ clients: { op: client } }) })]);
    };
    await provesCrossInstanceLogin(client, namespace, instance);
  });

  it('forRootAsync({ inject: [CACHE_MANAGER] }) builds the store from @nestjs/cache-manager', async () => {
    const client = newClient();
    const namespace = `wired-cache-${seq}`;
    const instance = (platform: Platform) => () =>
      startApp(platform, [
        CacheModule.register({ isGlobal: true, stores: [redisKeyv(namespace)] }),
        OAuthModule.forRootAsync({
          inject: [CACHE_MANAGER],
          useFactory: (cache: Cache) => ({ stateStore: new CacheStateStore(cache), clients: { op: client } }),
        }),
      ]);
    await provesCrossInstanceLogin(client, namespace, instance('fastify'), instance('express'));
  });

  it("a provider in the app's own module (not global, not exported) is found at init and used", async () => {
    const client = newClient();
    const namespace = `wired-root-${seq}`;
    const cache = createCache({ stores: [redisKeyv(namespace)] });
    caches.push(cache);
    const recording = new RecordingStore(new CacheStateStore(cache));
    await provesCrossInstanceLogin(client, namespace, () =>
      startApp('express', [OAuthModule.forRoot({ clients: { op: client } })], [{ provide: OAuthStateStore, useValue: recording }]),
    );
    expect(recording.sets).toHaveLength(1);
  });

  it('an explicit stateStore option wins over the provider', async () => {
    const client = newClient();
    const recording = new RecordingStore(new CacheStateStore(createCache()));
    @Global()
    @Module({ providers: [{ provide: OAuthStateStore, useValue: recording }], exports: [OAuthStateStore] })
    class StateStoreModule {}
    const origin = await startApp('express', [StateStoreModule, OAuthModule.forRoot({ stateStore: 'cookie', stateSecret: 'c'.repeat(40), clients: { op: client } })]);
    const login = await new Browser().get(`${origin}/auth/op`);
    expect(login.status, login.text).toBe(302);
    expect(login.headers.getSetCookie().some((c) => c.startsWith('oauth_s_'))).toBe(true);
    expect(login.headers.getSetCookie().some((c) => c.startsWith('oauth_bind='))).toBe(false);
    expect(recording.sets).toEqual([]);
  });
});
