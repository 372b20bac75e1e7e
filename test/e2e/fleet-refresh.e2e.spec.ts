/**
 * One refresh per fleet, end to end: two instances of one app, each a separate Node
 * process (test/support/fleet-instance.ts) with its own Nest app, registry, OAuth
 * client and node-redis client, against oidc-provider with refresh-token rotation.
 * The only things the two processes share are the provider and (when coordinated)
 * a redis-server.
 *
 * Refreshes are counted at the provider twice: POSTs to its token endpoint, and the
 * `refresh_token` grants it reports itself (`grant.success` / `grant.error`).
 *
 * What the provider does without a coordinator (the last test of each platform):
 * instance A refreshes the expired token and gets a rotated pair; instance B, still
 * holding the old token, refreshes with the old refresh token; oidc-provider sees a
 * refresh token used twice (RFC 9700 section 4.14.2 reuse detection), answers
 * `invalid_grant` ("refresh token already used"), and revokes the whole grant: B's
 * calls fail, and A's brand-new refresh and access tokens stop working too. The user
 * has to log in again. Fired at both instances at once, the outcome was the same in
 * each of four tries (Express and Fastify): one instance's 25 calls succeeded, the
 * other's 25 failed with invalid_grant, the grant was revoked. The test sends the two
 * bursts one after the other, so its outcome does not depend on which refresh
 * request the provider happens to read first.
 *
 * The coordinated tests need `refreshCoordinator` wired into the module and the
 * OAuth 2 refresher; until then they fail with two refresh requests.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OAuth2Token } from '../../lib/index.js';
import { Browser } from '../support/browser.js';
import type { FleetInstanceConfig } from '../support/fleet-instance.js';
import { startFleetProcess, type FleetProcess } from '../support/fleet-process.js';
import { PLATFORMS } from '../support/nest-app.js';
import { PROVIDER_PATHS, loginThroughApp, startOidcProvider, type OidcProviderHarness } from '../support/oidc-provider.js';
import { startRedis, type RedisHandle } from '../support/redis-server.js';

interface GrantEvent {
  grantType: string;
  clientId: string;
  error?: string;
}
interface KoaContext {
  oidc?: { client?: { clientId: string }; params?: Record<string, unknown> };
}
interface CallAnswer {
  status?: number;
  sub?: string;
  error?: string;
  message?: string;
}
interface Stats {
  updateToken: number;
  tokenUpdate: number;
  token?: OAuth2Token;
}

let op: OidcProviderHarness;
let redis: RedisHandle;
const grants: GrantEvent[] = [];
const processes: FleetProcess[] = [];

function info(ctx: unknown): GrantEvent {
  const oidc = (ctx as KoaContext).oidc;
  return { grantType: String(oidc?.params?.grant_type), clientId: String(oidc?.client?.clientId) };
}

beforeAll(async () => {
  op = await startOidcProvider({ rotateRefreshToken: true });
  op.provider.on('grant.success', (ctx) => grants.push(info(ctx)));
  op.provider.on('grant.error', (ctx, err) => grants.push({ ...info(ctx), error: String((err as { error_detail?: string }).error_detail ?? err) }));
  redis = await startRedis();
});
afterAll(async () => {
  await Promise.all(processes.map((p) => p.stop()));
  await op?.close();
  await redis?.stop();
});

const nowS = () => Math.floor(Date.now() / 1000);
const bearerOf = (token: string) => `Bearer ${token}`;

async function json<T>(url: string, init?: RequestInit): Promise<T> {
  const res = await fetch(url, init);
  const text = await res.text();
  if (res.status !== 200 && res.status !== 201) throw new Error(`${url} answered ${res.status}: ${text.slice(0, 500)}`);
  return JSON.parse(text) as T;
}

/** A fresh grant: a login through instance `via`, its token returned with its access token expired. */
async function expiredToken(via: FleetProcess): Promise<OAuth2Token> {
  const res = await loginThroughApp(new Browser(), `${via.origin}/auth/op`);
  expect(res.status, res.text).toBe(200);
  const token = res.json<{ oauth: { token: OAuth2Token } }>().oauth.token;
  expect(typeof token.refresh_token).toBe('string');
  return { ...token, expires_at: nowS() - 5 };
}

async function seed(p: FleetProcess, token: OAuth2Token): Promise<void> {
  await json(`${p.origin}/fleet/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }) });
}

const calls = (p: FleetProcess, n: number) => Array.from({ length: n }, () => json<CallAnswer>(`${p.origin}/fleet/call`));
const stats = (p: FleetProcess) => json<Stats>(`${p.origin}/fleet/stats`);
/** Bearer headers the provider's userinfo endpoint received since `from`. */
const bearersSince = (from: number) => op.requests.slice(from).filter((r) => r.path === PROVIDER_PATHS.userinfo).map((r) => r.headers.authorization);
const ALL_OK = (n: number) => Array.from({ length: n }, () => ({ status: 200, sub: 'alice' }));

/** Two instances of one app. */
interface Pair {
  a: FleetProcess;
  b: FleetProcess;
}

describe.each(PLATFORMS)('%s: two app instances in two processes, one expired token', (platform) => {
  const clientId = `fleet-${platform}-${randomBytes(4).toString('hex')}`;
  const clientSecret = `secret-${randomBytes(24).toString('base64url')}`;
  const stateSecret = randomBytes(32).toString('base64url');
  let coordinated: Pair;
  let alone: Pair;

  beforeAll(async () => {
    const base: FleetInstanceConfig = {
      platform,
      discoveryUrl: op.discoveryUrl,
      apiBaseUrl: `${op.issuer}/`,
      clientId,
      clientSecret,
      stateSecret,
    };
    const started = await Promise.all([
      startFleetProcess({ ...base, redisUrl: redis.url }),
      startFleetProcess({ ...base, redisUrl: redis.url }),
      startFleetProcess(base),
      startFleetProcess(base),
    ]);
    processes.push(...started);
    coordinated = { a: started[0]!, b: started[1]! };
    alone = { a: started[2]!, b: started[3]! };
    await op.addClient({ client_id: clientId, client_secret: clientSecret, redirect_uris: started.map((p) => `${p.origin}/auth/op`) });
  }, 180_000);

  const refreshGrants = () => grants.filter((g) => g.clientId === clientId && g.grantType === 'refresh_token');

  /** What the provider says to a refresh with `refreshToken`, sent by hand. */
  async function refreshAtProvider(refreshToken: string): Promise<{ status: number; body: Record<string, unknown> }> {
    const res = await fetch(`${op.issuer}${PROVIDER_PATHS.token}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: 'Basic ' + Buffer.from(`${clientId}:${clientSecret}`).toString('base64'),
      },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }


  it('with RedisRefreshCoordinator: 25 concurrent calls on each instance -> 1 refresh at the provider, 50 successes, updateToken and tokenUpdate$ once, the rotated token works', async () => {
    const { a, b } = coordinated;
    const old = await expiredToken(a);
    await Promise.all([seed(a, old), seed(b, old)]);
    const [before, grantsBefore, statsBefore] = [op.requests.length, refreshGrants().length, await Promise.all([stats(a), stats(b)])];

    const answers = await Promise.all([...calls(a, 25), ...calls(b, 25)]);

    const tokenPosts = op.requests.slice(before).filter((r) => r.path === PROVIDER_PATHS.token && r.method === 'POST');
    expect(tokenPosts, 'refresh requests at the provider').toHaveLength(1);
    expect(refreshGrants().slice(grantsBefore)).toEqual([{ grantType: 'refresh_token', clientId }]);
    expect(answers).toEqual(ALL_OK(50));

    const after = await Promise.all([stats(a), stats(b)]);
    const updates = after.map((s, i) => s.updateToken - statsBefore[i]!.updateToken);
    const events = after.map((s, i) => s.tokenUpdate - statsBefore[i]!.tokenUpdate);
    expect(updates.reduce((x, y) => x + y), 'updateToken calls, fleet-wide').toBe(1);
    expect(events, 'tokenUpdate$ on the instance that refreshed only').toEqual(updates);
    const fresh = after[updates.indexOf(1)]!.token!;
    expect(fresh.access_token).not.toBe(old.access_token);
    expect(fresh.refresh_token).not.toBe(old.refresh_token);

    // Every one of the 50 calls, on both instances, carried the new access token.
    expect(new Set(bearersSince(before))).toEqual(new Set([bearerOf(fresh.access_token)]));
    expect(bearersSince(before)).toHaveLength(50);

    // The grant is alive: the rotated refresh token works (and the old one does not).
    const next = await refreshAtProvider(fresh.refresh_token!);
    expect(next.status, JSON.stringify(next.body)).toBe(200);
    expect(typeof next.body.access_token).toBe('string');
  });

  it('with RedisRefreshCoordinator: an instance that still holds the old token after the other refreshed gets the new token, with no second refresh', async () => {
    const { a, b } = coordinated;
    const old = await expiredToken(a);
    await Promise.all([seed(a, old), seed(b, old)]);
    const [before, grantsBefore] = [op.requests.length, refreshGrants().length];

    const onA = await Promise.all(calls(a, 25));
    const onB = await Promise.all(calls(b, 25));

    expect(refreshGrants().slice(grantsBefore)).toEqual([{ grantType: 'refresh_token', clientId }]);
    expect([...onA, ...onB]).toEqual(ALL_OK(50));
    const fresh = (await stats(a)).token!;
    expect(new Set(bearersSince(before))).toEqual(new Set([bearerOf(fresh.access_token)]));
    expect((await refreshAtProvider(fresh.refresh_token!)).status).toBe(200);
  });

  it('without a coordinator: the second instance reuses the rotated refresh token, and the provider revokes the whole grant', async () => {
    const { a, b } = alone;
    const old = await expiredToken(a);
    await Promise.all([seed(a, old), seed(b, old)]);
    const grantsBefore = refreshGrants().length;

    // A refreshes once for its 25 calls (its own single flight), and they all succeed.
    const onA = await Promise.all(calls(a, 25));
    expect(onA).toEqual(ALL_OK(25));
    const fresh = (await stats(a)).token!;
    expect(fresh.refresh_token).not.toBe(old.refresh_token);

    // B never heard of it: it refreshes with the old refresh token.
    const onB = await Promise.all(calls(b, 25));
    const refreshes = refreshGrants().slice(grantsBefore);
    expect(refreshes.slice(0, 2)).toEqual([
      { grantType: 'refresh_token', clientId },
      { grantType: 'refresh_token', clientId, error: 'refresh token already used' },
    ]);
    // B's calls that arrived after its refresh failed try the old refresh token again
    // (a failed refresh is not remembered); the provider destroyed it with the grant.
    for (const later of refreshes.slice(2)) expect(later).toEqual({ grantType: 'refresh_token', clientId, error: 'refresh token not found' });
    for (const answer of onB) expect(answer).toMatchObject({ error: 'invalid_grant' });
    expect((await stats(b)).updateToken).toBe(0);

    // Reuse detection revoked the grant: A's brand-new tokens are dead too.
    const retry = await refreshAtProvider(fresh.refresh_token!);
    expect(retry.status).toBe(400);
    expect(retry.body.error).toBe('invalid_grant');
    const me = await fetch(`${op.issuer}${PROVIDER_PATHS.userinfo}`, { headers: { authorization: bearerOf(fresh.access_token) } });
    expect(me.status).toBe(401);
  });
});
