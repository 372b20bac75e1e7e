/**
 * Clients resolved per request (one client per tenant) against a real provider
 * (oidc-provider), on Express and Fastify: one guarded route serves every tenant,
 * each tenant's client authenticates as itself, concurrent first logins share one
 * resolution, unknown and broken tenants fail alone, resolved clients expire and
 * are bounded in number (heap measured), registered clients are never evicted.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Controller, Get, Injectable, Module, Post, Req, UseGuards } from '@nestjs/common';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  OAuth2Client,
  OAuthConfigError,
  OAuthGuard,
  OAuthModule,
  OAuthRegistry,
  OAuthUsageError,
  providers,
  type OAuthClientConfig,
  type OAuthModuleOptions,
  type OAuthResult,
  type OAuth2Token,
  type OAuthSelectorRequest,
} from '../../lib/index.js';
import { Browser } from '../support/browser.js';
import { PLATFORMS, startTestApp, type Platform, type TestApp } from '../support/nest-app.js';
import {
  PROVIDER_PATHS,
  loginForCallbackUrl,
  loginThroughApp,
  startAppLogin,
  startOidcProvider,
  type OidcProviderHarness,
} from '../support/oidc-provider.js';

setFlagsFromString('--expose_gc');
const gc = runInNewContext('gc') as () => void;

/** A tenant as the application's database keeps it. */
type TenantRow =
  | { kind: 'oidc'; clientId: string; clientSecret: string; discoveryUrl: string }
  /** Microsoft Entra ID, one app registration per customer directory. */
  | { kind: 'entra'; directory: string; clientId: string; clientSecret: string };

/**
 * The application's tenant table: lookups are recorded, a slug can be made to fail
 * (the database is down for it) or to wait for a test's signal.
 */
@Injectable()
class TenantRepository {
  readonly rows = new Map<string, TenantRow>();
  readonly lookups: string[] = [];
  readonly failing = new Set<string>();
  readonly gates = new Map<string, () => Promise<unknown>>();

  async findBySlug(slug: string): Promise<TenantRow | undefined> {
    this.lookups.push(slug);
    await this.gates.get(slug)?.();
    if (this.failing.has(slug)) throw new Error(`connection to tenants-db refused while reading ${slug}`);
    return this.rows.get(slug);
  }

  count(slug: string): number {
    return this.lookups.filter((s) => s === slug).length;
  }
}

/** The resolver an application writes: tenant names map to rows, rows to client configurations. */
function tenantResolver(tenants: TenantRepository): NonNullable<OAuthModuleOptions['resolveClient']> {
  return async (name) => {
    const slug = /^tenant-([a-z0-9-]{1,63})$/.exec(name)?.[1];
    if (slug === undefined) return undefined;
    const row = await tenants.findBySlug(slug);
    if (!row) return undefined;
    if (row.kind === 'entra') {
      return providers.microsoft({ tenant: row.directory, clientId: row.clientId, clientSecret: row.clientSecret });
    }
    return { clientId: row.clientId, clientSecret: row.clientSecret, serverMetadataUrl: row.discoveryUrl, scope: 'openid email profile' };
  };
}

/** Requests per tenant that reached the guard's selector. */
const selections = new Map<string, number>();

function tenantOf(req: OAuthSelectorRequest): string {
  const tenant = String(req.params.tenant);
  selections.set(tenant, (selections.get(tenant) ?? 0) + 1);
  return `tenant-${tenant}`;
}

interface RequestWithOAuth {
  oauth?: OAuthResult;
}

@Controller()
class TenantLoginController {
  // One route for every tenant, login and callback alike.
  @Get('t/:tenant/login')
  @UseGuards(OAuthGuard(tenantOf))
  login(@Req() req: RequestWithOAuth): { oauth: OAuthResult | null } {
    return { oauth: req.oauth ?? null };
  }

  @Post('t/:tenant/login')
  @UseGuards(OAuthGuard(tenantOf))
  formPost(@Req() req: RequestWithOAuth): { oauth: OAuthResult | null } {
    return { oauth: req.oauth ?? null };
  }
}

@Module({ providers: [TenantRepository], exports: [TenantRepository], controllers: [TenantLoginController] })
class TenantsModule {}

interface TenantAppOptions {
  maxResolvedClients?: number;
  resolvedClientTtl?: number;
  clients?: Record<string, OAuthClientConfig>;
}

/** The app as a multi-tenant application builds it: the resolver reads the injected repository. */
function startTenantApp(platform: Platform, opts: TenantAppOptions = {}): Promise<TestApp> {
  return startTestApp({
    platform,
    oauth: false,
    imports: [
      TenantsModule,
      OAuthModule.forRootAsync({
        imports: [TenantsModule],
        inject: [TenantRepository],
        useFactory: (tenants: TenantRepository): OAuthModuleOptions => ({
          stateSecret: 's'.repeat(32),
          resolveClient: tenantResolver(tenants),
          ...opts,
        }),
      }),
    ],
  });
}

interface LoginBody {
  oauth: (OAuthResult & { token: OAuth2Token }) | null;
}

/** Client ids the provider's token endpoint was authenticated as (client_secret_basic), in order. */
function tokenClientIds(op: OidcProviderHarness): string[] {
  return op.requests
    .filter((r) => r.path === PROVIDER_PATHS.token)
    .map((r) => {
      const basic = /^Basic (.+)$/i.exec(r.headers.authorization ?? '')?.[1];
      if (basic === undefined) return '(no basic auth)';
      return decodeURIComponent(Buffer.from(basic, 'base64').toString('utf8').split(':')[0]);
    });
}

let seq = 0;

describe.each(PLATFORMS)('clients resolved per request on %s', (platform) => {
  let op: OidcProviderHarness;
  let t: TestApp | undefined;
  let tenants: TenantRepository;
  let registry: OAuthRegistry;

  beforeAll(async () => {
    op = await startOidcProvider();
  });
  afterAll(async () => {
    await op.close();
  });
  beforeEach(() => op.resetRequests());
  afterEach(async () => {
    await t?.close();
    t = undefined;
    expect(op.serverErrors).toEqual([]);
  });

  async function app(opts: TenantAppOptions = {}): Promise<TestApp> {
    t = await startTenantApp(platform, opts);
    tenants = t.app.get(TenantRepository);
    registry = t.app.get(OAuthRegistry);
    return t;
  }

  /** A tenant with its own client at the provider, whose redirect URI is the shared route. */
  async function addTenant(slug: string, origin: string): Promise<{ clientId: string; clientSecret: string }> {
    const clientId = `${platform}-${slug}-${++seq}`;
    const clientSecret = `secret-of-${clientId}`;
    await op.addClient({ client_id: clientId, client_secret: clientSecret, redirect_uris: [`${origin}/t/${slug}/login`] });
    tenants.rows.set(slug, { kind: 'oidc', clientId, clientSecret, discoveryUrl: op.discoveryUrl });
    return { clientId, clientSecret };
  }

  function expectLoggedIn(res: { status: number; json<T>(): T }, slug: string, clientId: string): OAuth2Token {
    expect(res.status).toBe(200);
    const { oauth } = res.json<LoginBody>();
    expect(oauth).not.toBeNull();
    expect(oauth!.client).toBe(`tenant-${slug}`);
    expect(oauth!.userinfo).toMatchObject({ sub: 'alice', iss: op.issuer, aud: clientId });
    return oauth!.token;
  }

  it('logs two tenants in through one route, each as its own client at the provider, resolving each once', async () => {
    const a = await app();
    const acme = await addTenant('acme', a.origin);
    const globex = await addTenant('globex', a.origin);

    const acmeStart = await startAppLogin(new Browser(), `${a.origin}/t/acme/login`);
    expect(acmeStart.authorizationUrl.searchParams.get('client_id')).toBe(acme.clientId);
    expect(acmeStart.authorizationUrl.searchParams.get('redirect_uri')).toBe(`${a.origin}/t/acme/login`);

    expectLoggedIn(await loginThroughApp(new Browser(), `${a.origin}/t/acme/login`), 'acme', acme.clientId);
    expectLoggedIn(await loginThroughApp(new Browser(), `${a.origin}/t/globex/login`), 'globex', globex.clientId);
    expectLoggedIn(await loginThroughApp(new Browser(), `${a.origin}/t/acme/login`), 'acme', acme.clientId);

    // The provider saw each tenant's own credentials at its token endpoint.
    expect(tokenClientIds(op)).toEqual([acme.clientId, globex.clientId, acme.clientId]);
    // Logins, callbacks and a second login reuse the resolved client; each tenant's discovery ran once.
    expect(tenants.count('acme')).toBe(1);
    expect(tenants.count('globex')).toBe(1);
    expect(op.count(PROVIDER_PATHS.discovery)).toBe(2);
  });

  it("refuses one tenant's callback on another tenant's route, sending nothing to the provider", async () => {
    const a = await app();
    await addTenant('acme', a.origin);
    await addTenant('globex', a.origin);
    const browser = new Browser();
    const { authorizationUrl } = await startAppLogin(browser, `${a.origin}/t/acme/login`);
    const callbackUrl = new URL(await loginForCallbackUrl(browser, authorizationUrl.toString(), a.origin));
    callbackUrl.pathname = '/t/globex/login';
    op.resetRequests();

    const res = await browser.get(callbackUrl.toString());
    expect(res.status).toBe(401);
    expect(res.json<{ error: string }>().error).toBe('mismatching_state');
    expect(op.count(PROVIDER_PATHS.token)).toBe(0);
  });

  it('answers 50 concurrent first logins of a new tenant with one resolution and one discovery', async () => {
    const a = await app();
    const slug = `rush-${platform}`;
    const { clientId } = await addTenant(slug, a.origin);
    // The database answers only once all 50 requests have reached the guard, so they overlap.
    tenants.gates.set(slug, () => vi.waitUntil(() => (selections.get(slug) ?? 0) >= 50, { timeout: 20_000, interval: 5 }));

    const answers = await Promise.all(
      Array.from({ length: 50 }, async () => {
        const res = await fetch(`${a.origin}/t/${slug}/login`, { redirect: 'manual' });
        await res.arrayBuffer();
        return { status: res.status, clientId: new URL(res.headers.get('location') ?? 'about:blank').searchParams.get('client_id') };
      }),
    );
    expect(answers).toEqual(Array.from({ length: 50 }, () => ({ status: 302, clientId })));
    expect(tenants.count(slug)).toBe(1);
    expect(op.count(PROVIDER_PATHS.discovery)).toBe(1);
  });

  it('answers an unknown tenant 404 unknown_client without a request to the provider', async () => {
    const a = await app();
    await addTenant('acme', a.origin);
    op.resetRequests();

    const res = await fetch(`${a.origin}/t/nobody/login`, { redirect: 'manual' });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ statusCode: 404, error: 'unknown_client' });
    expect(tenants.lookups).toEqual(['nobody']);
    expect(op.requests).toEqual([]);

    // A name the resolver does not even look up (not a tenant slug) is just as unknown.
    const odd = await fetch(`${a.origin}/t/${encodeURIComponent('NOT a slug')}/login`, { redirect: 'manual' });
    expect(odd.status).toBe(404);
    expect(tenants.lookups).toEqual(['nobody']);
    expect(op.requests).toEqual([]);
  });

  it('answers a tenant with a bad configuration 500 invalid_config, for that tenant only, until its row is fixed', async () => {
    const a = await app();
    const acme = await addTenant('acme', a.origin);
    const broken = await addTenant('broken', a.origin);
    tenants.rows.set('broken', { kind: 'oidc', clientId: broken.clientId, clientSecret: broken.clientSecret, discoveryUrl: 'provider.example.com/.well-known' });
    // A preset refusing its options (Entra wants a directory ID, not a domain name) is a bad configuration too.
    tenants.rows.set('contoso', { kind: 'entra', directory: 'contoso.onmicrosoft.com', clientId: 'c', clientSecret: 's' });
    op.resetRequests();

    for (const slug of ['broken', 'contoso']) {
      const res = await fetch(`${a.origin}/t/${slug}/login`, { redirect: 'manual' });
      expect(res.status).toBe(500);
      const body = (await res.json()) as { error: string; message: string };
      expect(body.error).toBe('invalid_config');
      expect(body.message).not.toContain(broken.clientSecret);
    }
    expect(op.requests).toEqual([]);

    expectLoggedIn(await loginThroughApp(new Browser(), `${a.origin}/t/acme/login`), 'acme', acme.clientId);

    // A failed resolution is not kept: the next request asks again and sees the fix.
    expect((await fetch(`${a.origin}/t/broken/login`, { redirect: 'manual' })).status).toBe(500);
    expect(tenants.count('broken')).toBe(2);
    tenants.rows.set('broken', { kind: 'oidc', clientId: broken.clientId, clientSecret: broken.clientSecret, discoveryUrl: op.discoveryUrl });
    expectLoggedIn(await loginThroughApp(new Browser(), `${a.origin}/t/broken/login`), 'broken', broken.clientId);
    expect(tenants.count('broken')).toBe(3);
  });

  it('answers a tenant whose lookup throws 500 invalid_config without the error text, while the others log in', async () => {
    const a = await app();
    const acme = await addTenant('acme', a.origin);
    await addTenant('flaky', a.origin);
    tenants.failing.add('flaky');
    op.resetRequests();

    const res = await fetch(`${a.origin}/t/flaky/login`, { redirect: 'manual' });
    expect(res.status).toBe(500);
    const body = (await res.json()) as { error: string; message: string };
    expect(body.error).toBe('invalid_config');
    expect(body.message).not.toContain('tenants-db');
    expect(op.requests).toEqual([]);

    expectLoggedIn(await loginThroughApp(new Browser(), `${a.origin}/t/acme/login`), 'acme', acme.clientId);

    tenants.failing.delete('flaky');
    expect((await fetch(`${a.origin}/t/flaky/login`, { redirect: 'manual' })).status).toBe(302);
  });

  it('resolves a client again once resolvedClientTtl has passed, picking up a changed row; a login spanning it completes', async () => {
    const a = await app({ resolvedClientTtl: 1 });
    const first = await addTenant('acme', a.origin);
    const started = await startAppLogin(new Browser(), `${a.origin}/t/acme/login`);
    expect(started.authorizationUrl.searchParams.get('client_id')).toBe(first.clientId);
    expect(tenants.count('acme')).toBe(1);

    // The tenant moves to a new app registration.
    const second = await addTenant('acme', a.origin);
    await new Promise((r) => setTimeout(r, 1_100));
    const browser = new Browser();
    const { authorizationUrl } = await startAppLogin(browser, `${a.origin}/t/acme/login`);
    expect(authorizationUrl.searchParams.get('client_id')).toBe(second.clientId);
    expect(tenants.count('acme')).toBe(2);

    // The callback arrives after the client it started with expired: resolved again, it completes.
    const callbackUrl = await loginForCallbackUrl(browser, authorizationUrl.toString(), a.origin);
    await new Promise((r) => setTimeout(r, 1_100));
    op.resetRequests();
    expectLoggedIn(await browser.get(callbackUrl), 'acme', second.clientId);
    expect(tenants.count('acme')).toBe(3);
    expect(tokenClientIds(op)).toEqual([second.clientId]);
  });

  it('registry.unregister drops a resolved client at once, so a changed row applies to the next login', async () => {
    const a = await app();
    const first = await addTenant('acme', a.origin);
    expectLoggedIn(await loginThroughApp(new Browser(), `${a.origin}/t/acme/login`), 'acme', first.clientId);
    const second = await addTenant('acme', a.origin);
    expect((await startAppLogin(new Browser(), `${a.origin}/t/acme/login`)).authorizationUrl.searchParams.get('client_id')).toBe(first.clientId);

    expect(registry.unregister('tenant-acme')).toBe(true);
    expect(registry.unregister('tenant-acme')).toBe(false);
    op.resetRequests();
    expectLoggedIn(await loginThroughApp(new Browser(), `${a.origin}/t/acme/login`), 'acme', second.clientId);
    expect(tokenClientIds(op)).toEqual([second.clientId]);
    expect(tenants.count('acme')).toBe(2);
  });

  it('registry.resolve gives API calls the same resolved client; an unknown name rejects with unknown_client', async () => {
    const a = await app();
    const acme = await addTenant('acme', a.origin);
    const globex = await addTenant('globex', a.origin);
    const token = expectLoggedIn(await loginThroughApp(new Browser(), `${a.origin}/t/acme/login`), 'acme', acme.clientId);

    const client = await registry.resolve<OAuth2Client>('tenant-acme');
    expect(client).toBeInstanceOf(OAuth2Client);
    expect(client.name).toBe('tenant-acme');
    expect(await client.userinfo({ token })).toMatchObject({ sub: 'alice' });
    expect(tenants.count('acme')).toBe(1);

    // A tenant never seen by a request: resolved here, and its API calls authenticate as it.
    op.resetRequests();
    const service = await registry.resolve<OAuth2Client>('tenant-globex');
    const cc = await service.fetchClientCredentialsToken();
    expect(cc.access_token).toEqual(expect.any(String));
    expect(tokenClientIds(op)).toEqual([globex.clientId]);
    expect(await registry.resolve('tenant-globex')).toBe(service);
    expect(tenants.count('globex')).toBe(1);

    op.resetRequests();
    const unknown = await registry.resolve('tenant-nobody').catch((err: unknown) => err);
    expect(unknown).toBeInstanceOf(OAuthUsageError);
    expect(unknown).toMatchObject({ code: 'unknown_client' });
    tenants.failing.add('flaky');
    const failed = await registry.resolve('tenant-flaky').catch((err: unknown) => err);
    expect(failed).toBeInstanceOf(OAuthConfigError);
    expect(failed).toMatchObject({ code: 'invalid_config', client: 'tenant-flaky' });
    expect(op.requests).toEqual([]);
  });

  it('never evicts a registered client nor counts it toward maxResolvedClients', async () => {
    const homeId = `${platform}-home-${++seq}`;
    // The registered client is named like a tenant: the same route serves it, no resolver involved.
    const a = await app({
      maxResolvedClients: 2,
      clients: { 'tenant-home': { clientId: homeId, clientSecret: 'home-secret', serverMetadataUrl: op.discoveryUrl, scope: 'openid' } },
    });
    await op.addClient({ client_id: homeId, client_secret: 'home-secret', redirect_uris: [`${a.origin}/t/home/login`] });
    const home = registry.get('tenant-home');
    await addTenant('one', a.origin);
    await addTenant('two', a.origin);
    await addTenant('three', a.origin);

    await registry.resolve('tenant-one');
    await registry.resolve('tenant-two');
    expectLoggedIn(await loginThroughApp(new Browser(), `${a.origin}/t/home/login`), 'home', homeId);
    // Both slots still hold the two tenants: the registered client took none.
    await registry.resolve('tenant-one');
    await registry.resolve('tenant-two');
    expect(tenants.lookups).toEqual(['one', 'two']);

    // A third tenant pushes out the least recently used one (`one`), never the registered client.
    await registry.resolve('tenant-three');
    await registry.resolve('tenant-two');
    expect(tenants.lookups).toEqual(['one', 'two', 'three']);
    await registry.resolve('tenant-one');
    expect(tenants.lookups).toEqual(['one', 'two', 'three', 'one']);
    expect(registry.get('tenant-home')).toBe(home);
    expect(await registry.resolve('tenant-home')).toBe(home);
    expect(tenants.lookups).not.toContain('home');
  });
});

/** Per-tenant discovery documents at `/<n>/.well-known/openid-configuration`, each ~10 KB. */
async function startDiscoveryServer(): Promise<{ origin: string; requests: () => number; close(): Promise<void> }> {
  let count = 0;
  const server: Server = createServer((req, res) => {
    count++;
    const m = /^\/([a-z0-9-]+)\/\.well-known\/openid-configuration$/.exec(req.url ?? '');
    if (!m) {
      res.statusCode = 404;
      res.end();
      return;
    }
    const issuer = `http://${req.headers.host}/${m[1]}`;
    res.setHeader('content-type', 'application/json');
    res.end(
      JSON.stringify({
        issuer,
        authorization_endpoint: `${issuer}/authorize`,
        token_endpoint: `${issuer}/token`,
        jwks_uri: `${issuer}/jwks`,
        userinfo_endpoint: `${issuer}/userinfo`,
        response_types_supported: ['code'],
        id_token_signing_alg_values_supported: ['RS256'],
        // Real documents are large (Entra's is ~1.7 KB, Keycloak's ~6 KB); each tenant's is its own copy.
        claims_supported: Array.from({ length: 250 }, (_, i) => `urn:${m[1]}:claim:${i}`),
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    requests: () => count,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function heapAfterGc(): number {
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed;
}

describe('many tenants', () => {
  let discovery: Awaited<ReturnType<typeof startDiscoveryServer>>;
  let t: TestApp | undefined;

  beforeAll(async () => {
    discovery = await startDiscoveryServer();
  });
  afterAll(async () => {
    await discovery.close();
  });
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  /** An app whose resolver knows every `tenant-<n>`, each with its own discovery document. */
  async function app(maxResolvedClients: number): Promise<{ registry: OAuthRegistry; lookups: () => number }> {
    let lookups = 0;
    t = await startTestApp({
      platform: 'express',
      oauth: {
        stateSecret: 's'.repeat(32),
        maxResolvedClients,
        clients: { registered: { clientId: 'registered', serverMetadataUrl: `${discovery.origin}/registered/.well-known/openid-configuration` } },
        resolveClient: async (name) => {
          const n = /^tenant-(\d+)$/.exec(name)?.[1];
          if (n === undefined) return undefined;
          lookups++;
          return { clientId: `client-${n}`, clientSecret: `secret-${n}`, serverMetadataUrl: `${discovery.origin}/t${n}/.well-known/openid-configuration` };
        },
      },
    });
    return { registry: t.app.get(OAuthRegistry), lookups: () => lookups };
  }

  /** Resolves tenants `from`..`to-1` and makes each load its discovery document once, 16 at a time. */
  async function touchTenants(registry: OAuthRegistry, from: number, to: number): Promise<void> {
    let next = from;
    const worker = async () => {
      while (next < to) {
        const n = next++;
        const client = await registry.resolve<OAuth2Client>(`tenant-${n}`);
        const metadata = await client.loadServerMetadata();
        expect(metadata.issuer).toBe(`${discovery.origin}/t${n}`);
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
  }

  /** Heap growth over 5,000 distinct tenants, after the cache was filled to its bound. */
  async function growthOver5000(maxResolvedClients: number): Promise<{ growth: number; lookups: () => number; discoveries: number; registry: OAuthRegistry; registered: OAuth2Client }> {
    const { registry, lookups } = await app(maxResolvedClients);
    const registered = registry.get<OAuth2Client>('registered');
    await registered.loadServerMetadata();
    await touchTenants(registry, 0, 200);
    const before = heapAfterGc();
    const discoveriesBefore = discovery.requests();
    await touchTenants(registry, 200, 5_200);
    const after = heapAfterGc();
    return { growth: after - before, lookups, discoveries: discovery.requests() - discoveriesBefore, registry, registered };
  }

  // Measured: about 75 MB with all 5,000 kept (the control below), 2 to 6 MB with 100
  // kept, flat from 2,500 to 20,000 tenants (noise, not a per-tenant leak).
  const BOUND = 16 * 1024 * 1024;

  it('keeps at most maxResolvedClients clients and their discovery caches across 5,000 tenants; the registered client stays', { timeout: 180_000 }, async () => {
    const { growth, lookups, discoveries, registry, registered } = await growthOver5000(100);
    expect(lookups()).toBe(5_200);
    expect(discoveries).toBe(5_000);
    expect(growth).toBeLessThan(BOUND);
    // The registered client was never evicted, its discovery still cached (no new request).
    const seen = discovery.requests();
    expect(registry.get('registered')).toBe(registered);
    expect(await registry.resolve('registered')).toBe(registered);
    await registered.loadServerMetadata();
    expect(discovery.requests()).toBe(seen);
    // The newest tenant is cached, the oldest long gone.
    await registry.resolve('tenant-5199');
    expect(lookups()).toBe(5_200);
    await registry.resolve('tenant-0');
    expect(lookups()).toBe(5_201);
  });

  it('(control) grows past the bound when all 5,000 are kept, so the bound above measures something', { timeout: 180_000 }, async () => {
    const { growth } = await growthOver5000(10_000);
    expect(growth).toBeGreaterThan(BOUND);
  });
});
