/**
 * Faults at each provider endpoint: a hang past the timeout, a reset connection, a
 * 5xx, a 200 MB body. Each is a coded error within the timeout plus a little, the
 * process stays up, memory stays bounded, and the next good login works.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { OAuthRegistry, type OAuth2Client, type OAuth2Token } from '../../lib/index.js';
import { Browser } from '../support/browser.js';
import type { TestApp } from '../support/nest-app.js';
import { ROGUE_PATHS, startRogueProvider, type RogueFault, type RogueProvider } from '../support/rogue-provider.js';
import { appFor, attempt } from './rogue-support.js';

let rogue: RogueProvider;
let app: TestApp | undefined;

beforeAll(async () => {
  rogue = await startRogueProvider();
});
afterAll(async () => {
  await rogue.close();
});
afterEach(async () => {
  rogue.scenario = {};
  await app?.close();
  app = undefined;
});

const EXPECTED: Record<RogueFault, [number, string]> = {
  hang: [504, 'timeout'],
  reset: [502, 'provider_unavailable'],
  '5xx': [502, 'provider_unavailable'],
  huge: [502, 'response_too_large'],
};
const FAULTS = Object.keys(EXPECTED) as RogueFault[];
const TIMEOUT = 400;

describe.each([ROGUE_PATHS.discovery, ROGUE_PATHS.jwks, ROGUE_PATHS.token])('faults at %s', (path) => {
  it.each(FAULTS)('%s: a coded answer, no crash, and the next good login works', async (fault) => {
    app = await appFor(rogue, 'express', { timeout: TIMEOUT });
    const rss = process.memoryUsage().rss;
    rogue.scenario = { faults: { [path]: fault } };
    const started = Date.now();
    const a = await attempt(app, rogue);
    const answer = path === ROGUE_PATHS.discovery ? a.login : a.callback!;
    const [status, code] = EXPECTED[fault];
    expect(answer.status, answer.text).toBe(status);
    expect(answer.json()).toMatchObject({ statusCode: status, error: code });
    // Bounded by the timeout, never hung (a loose bound: no speed test).
    expect(Date.now() - started).toBeLessThan(TIMEOUT + 5_000);
    // The 200 MB body was not read: memory did not grow by anything like it.
    expect(process.memoryUsage().rss - rss).toBeLessThan(100 * 1024 * 1024);
    rogue.scenario = {};
    const next = await attempt(app, rogue);
    expect(next.callback?.status, next.callback?.text).toBe(200);
  });
});

describe('faults at userinfo and API calls', () => {
  async function loggedIn(): Promise<{ client: OAuth2Client; token: OAuth2Token }> {
    app = await appFor(rogue, 'express', { timeout: TIMEOUT, apiBaseUrl: `${rogue.issuer}/` });
    const a = await attempt(app, rogue);
    expect(a.callback?.status).toBe(200);
    return {
      client: app.app.get(OAuthRegistry).get('op') as OAuth2Client,
      token: a.callback!.json<{ oauth: { token: OAuth2Token } }>().oauth.token,
    };
  }

  it.each(FAULTS)('userinfo %s: a coded error', async (fault) => {
    const { client, token } = await loggedIn();
    rogue.scenario = { faults: { [ROGUE_PATHS.userinfo]: fault } };
    await expect(client.userinfo({ token })).rejects.toMatchObject({ code: EXPECTED[fault][1] });
    rogue.scenario = {};
    await expect(client.userinfo({ token })).resolves.toMatchObject({ sub: 'user-1' });
  });

  it.each(['hang', 'reset'] as const)('API call %s: a coded error; other answers are handed back unread', async (fault) => {
    const { client, token } = await loggedIn();
    rogue.scenario = { faults: { [ROGUE_PATHS.userinfo]: fault } };
    await expect(client.get('userinfo', { token })).rejects.toMatchObject({ code: EXPECTED[fault][1] });
    rogue.scenario = { faults: { [ROGUE_PATHS.userinfo]: '5xx' } };
    const res = await client.get('userinfo', { token });
    expect(res.status).toBe(503);
    await res.body?.cancel();
  });
});

describe('refreshed ID tokens', () => {
  async function loggedIn(): Promise<{ client: OAuth2Client; token: OAuth2Token }> {
    app = await appFor(rogue);
    const a = await attempt(app, rogue);
    expect(a.callback?.status).toBe(200);
    return { client: app.app.get(OAuthRegistry).get('op') as OAuth2Client, token: a.callback!.json<{ oauth: { token: OAuth2Token } }>().oauth.token };
  }

  it('one that keeps iss, sub and aud is accepted, and the old refresh token is kept', async () => {
    const { client, token } = await loggedIn();
    const fresh = await client.refreshToken(token);
    expect(fresh.access_token).not.toBe(token.access_token);
    expect(fresh.refresh_token).toBe(token.refresh_token);
    expect(fresh.userinfo?.sub).toBe('user-1');
  });

  it.each([
    ['a changed sub', (t: { claims: Record<string, unknown> }) => (t.claims.sub = 'user-2'), 'sub'],
    ['a changed iss', (t: { claims: Record<string, unknown> }) => (t.claims.iss = 'https://evil.example'), ''],
    ['a changed aud', (t: { claims: Record<string, unknown> }) => (t.claims.aud = ['rogue-client', 'other']), ''],
    ['an added azp', (t: { claims: Record<string, unknown> }) => (t.claims.azp = 'rogue-client'), 'azp'],
  ])('one with %s is invalid_id_token and nothing more is called', async (_name, edit, claim) => {
    const { client, token } = await loggedIn();
    rogue.scenario = { refreshIdToken: edit };
    const start = rogue.requests.length;
    const err = (await client.get(`${rogue.issuer}/userinfo`, { token: { ...token, expires_at: 1 } }).catch((e: unknown) => e)) as { code: string; message: string };
    expect(err.code).toBe('invalid_id_token');
    if (claim) expect(err.message).toBe(`The refreshed ID token changes "${claim}"; it is refused.`);
    expect(rogue.count(ROGUE_PATHS.token, start)).toBe(1);
    expect(rogue.count(ROGUE_PATHS.userinfo, start)).toBe(0);
  });
});

describe('browser input', () => {
  it('returnTo above a few KB is dropped without a 500', async () => {
    app = await appFor(rogue);
    const res = await new Browser().get(`${app.origin}/auth/op?next=/${'a'.repeat(3000)}`);
    expect(res.status).toBe(302);
  });
});
