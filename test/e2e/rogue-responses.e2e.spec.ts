import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { OAuthRegistry, type OAuth2Client, type OAuth2Token } from '../../lib/index.js';
import { Browser } from '../support/browser.js';
import { PLATFORMS, type Platform, type TestApp } from '../support/nest-app.js';
import { ROGUE_PATHS, startRogueProvider, type RogueProvider } from '../support/rogue-provider.js';
import { appFor, attempt } from './rogue-support.js';

let rogue: RogueProvider;
let other: RogueProvider;
let app: TestApp | undefined;

beforeAll(async () => {
  rogue = await startRogueProvider();
  other = await startRogueProvider();
});
afterAll(async () => {
  await rogue.close();
  await other.close();
});
afterEach(async () => {
  rogue.scenario = {};
  await app?.close();
  app = undefined;
});

describe.each(PLATFORMS)('authorization responses on %s', (platform: Platform) => {
  const refused: Array<[string, (u: URL) => void, number, string]> = [
    ['a missing state', (u) => u.searchParams.delete('state'), 401, 'mismatching_state'],
    ['an altered state', (u) => u.searchParams.set('state', `${u.searchParams.get('state')}x`), 401, 'mismatching_state'],
    ['a duplicated state', (u) => u.searchParams.append('state', u.searchParams.get('state')!), 401, 'mismatching_state'],
    ['state=__proto__', (u) => u.searchParams.set('state', '__proto__'), 401, 'mismatching_state'],
    ['state=constructor', (u) => u.searchParams.set('state', 'constructor'), 401, 'mismatching_state'],
    ['a wrong iss', (u) => u.searchParams.set('iss', 'https://evil.example'), 401, 'invalid_issuer'],
    ['a missing iss the provider advertises', (u) => u.searchParams.delete('iss'), 401, 'invalid_issuer'],
    ['an access_token in the callback (implicit)', (u) => u.searchParams.set('access_token', 'injected'), 400, 'invalid_request'],
    ['an id_token in the callback (hybrid)', (u) => u.searchParams.set('id_token', 'injected'), 400, 'invalid_request'],
    ['a state over 4 KB', (u) => u.searchParams.set('state', 'x'.repeat(5000)), 400, 'invalid_request'],
    ['a code over 4 KB', (u) => u.searchParams.set('code', '.'.repeat(5000)), 400, 'invalid_request'],
  ];

  it.each(refused)('%s is refused and nothing reaches the token endpoint', async (_name, edit, status, code) => {
    app = await appFor(rogue, platform);
    const a = await attempt(app, rogue, edit);
    expect(a.callback?.status).toBe(status);
    expect(a.callback!.json()).toMatchObject({ statusCode: status, error: code });
    expect(rogue.count(ROGUE_PATHS.token, a.mark - 1)).toBe(0);
  });

  it('a form_post body with a code of 100 000 dots is refused fast, without a 500', async () => {
    app = await appFor(rogue, platform);
    const browser = new Browser();
    const login = await browser.get(`${app.origin}/auth/op`);
    const back = new URL((await browser.get(login.location!)).location!);
    const start = rogue.requests.length;
    const res = await browser.request(`${app.origin}/auth/op`, {
      method: 'POST',
      body: new URLSearchParams({ state: back.searchParams.get('state')!, iss: rogue.issuer, code: '.'.repeat(100_000) }),
    });
    expect([400, 413]).toContain(res.status);
    expect(rogue.count(ROGUE_PATHS.token, start)).toBe(0);
    // The same URL in a query is cut by Node's header limit (431), also not a 500.
    const long = await browser.get(`${back.toString()}&code=${'.'.repeat(100_000)}`);
    expect(long.status).toBe(431);
  });

  it('an error with a forged state leaves the real pending login alone', async () => {
    app = await appFor(rogue, platform);
    const browser = new Browser();
    const login = await browser.get(`${app.origin}/auth/op`);
    const back = new URL((await browser.get(login.location!)).location!);
    const forged = await browser.get(`${app.origin}/auth/op?error=access_denied&state=forged&iss=${encodeURIComponent(rogue.issuer)}`);
    expect(forged.status).toBe(401);
    expect(forged.json<{ error: string }>().error).toBe('mismatching_state');
    expect((await browser.get(back.toString())).status).toBe(200);
  });

  it("the provider's error with the real state is passed through, then the state is used up", async () => {
    app = await appFor(rogue, platform);
    const a = await attempt(app, rogue, (u) => {
      u.searchParams.delete('code');
      u.searchParams.set('error', 'access_denied');
      u.searchParams.set('error_description', 'The user said no');
    });
    expect(a.callback?.status).toBe(401);
    expect(a.callback!.json()).toEqual({ statusCode: 401, error: 'access_denied', message: 'The provider refused the authorization: access_denied.' });
  });
});

describe('mix-up and discovery', () => {
  it("a code from provider Y arriving on provider X's pending login is refused", async () => {
    app = await appFor(rogue);
    const browser = new Browser();
    // Start a login with X, then deliver a callback minted by Y (its own code, state, iss).
    const login = await browser.get(`${app.origin}/auth/op`);
    const xBack = new URL((await browser.get(login.location!)).location!);
    const yAuthorize = new URL(login.location!.replace(rogue.issuer, other.issuer));
    const yBack = new URL((await browser.get(yAuthorize.toString())).location!);
    const startX = rogue.requests.length;
    const startY = other.requests.length;
    const res = await browser.get(yBack.toString());
    expect(res.status).toBe(401);
    expect(res.json<{ error: string }>().error).toBe('invalid_issuer');
    expect(rogue.count(ROGUE_PATHS.token, startX) + other.count(ROGUE_PATHS.token, startY)).toBe(0);
    expect(xBack.searchParams.get('state')).toBe(yBack.searchParams.get('state'));
  });

  it('a discovery document naming another issuer: 502 and no authorization request', async () => {
    rogue.scenario = { discovery: (d) => ({ ...d, issuer: 'https://accounts.example.com' }) };
    app = await appFor(rogue);
    const start = rogue.requests.length;
    const res = await new Browser().get(`${app.origin}/auth/op`);
    expect(res.status).toBe(502);
    expect(res.location).toBeUndefined();
    expect(res.json()).toMatchObject({ statusCode: 502, error: 'invalid_server_metadata' });
    expect(rogue.count(ROGUE_PATHS.authorize, start)).toBe(0);
  });
});

describe('token responses', () => {
  const cases: Array<[string, { status: number; body: string; headers?: Record<string, string> } | ((b: Record<string, unknown>) => { status: number; body: string; headers?: Record<string, string> }), number, string]> = [
    ['200 {"error":"invalid_grant"}', { status: 200, body: '{"error":"invalid_grant","error_description":"code used"}' }, 401, 'invalid_grant'],
    ['400 {"error":"invalid_client"}', { status: 400, body: '{"error":"invalid_client"}' }, 401, 'invalid_client'],
    ['{}', { status: 200, body: '{}' }, 502, 'invalid_response'],
    ['truncated JSON', { status: 200, body: '{"access_token":"abc","tok' }, 502, 'invalid_response'],
    ['a JSON array', { status: 200, body: '[{"access_token":"abc"}]' }, 502, 'invalid_response'],
    ['an HTML 500', { status: 500, body: '<html><body>Internal error</body></html>', headers: { 'content-type': 'text/html' } }, 502, 'provider_unavailable'],
    ['a 302', { status: 302, body: '', headers: { location: 'https://evil.example/token' } }, 502, 'invalid_response'],
    ['a non-string access_token', (b) => ({ status: 200, body: JSON.stringify({ ...b, access_token: 12345 }) }), 502, 'invalid_response'],
    ['a MAC token_type', (b) => ({ status: 200, body: JSON.stringify({ ...b, token_type: 'mac' }) }), 502, 'invalid_response'],
    [
      'no id_token although openid was requested',
      (b) => {
        const { id_token: _i, ...rest } = b;
        return { status: 200, body: JSON.stringify(rest) };
      },
      502,
      'invalid_response',
    ],
  ];

  it.each(cases)('%s is refused with the right code and nothing follows', async (_name, response, status, code) => {
    rogue.scenario = { tokenResponse: typeof response === 'function' ? response : () => response };
    app = await appFor(rogue);
    const start = rogue.requests.length;
    const a = await attempt(app, rogue);
    expect(a.callback?.status).toBe(status);
    expect(a.callback!.json()).toMatchObject({ statusCode: status, error: code });
    expect(rogue.count(ROGUE_PATHS.token, start)).toBe(1);
    expect(rogue.count(ROGUE_PATHS.userinfo, start)).toBe(0);
    expect(rogue.count(ROGUE_PATHS.jwks, start)).toBe(0);
  });

  it('a userinfo sub different from the ID token is invalid_userinfo', async () => {
    app = await appFor(rogue);
    const a = await attempt(app, rogue);
    const { oauth } = a.callback!.json<{ oauth: { token: OAuth2Token } }>();
    const client = app.app.get(OAuthRegistry).get('op') as OAuth2Client;
    await expect(client.userinfo({ token: oauth.token })).resolves.toMatchObject({ sub: 'user-1' });
    rogue.scenario = { userinfo: (c) => ({ ...c, sub: 'user-2' }) };
    await expect(client.userinfo({ token: oauth.token })).rejects.toMatchObject({
      code: 'invalid_userinfo',
      message: 'The userinfo "sub" differs from the ID token\'s; the answer is refused.',
    });
  });
});
