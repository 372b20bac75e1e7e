/**
 * Every preset logs in against its provider's dialect of the testing kit, through the
 * reference driver of the hook order (test/support/preset-driver.ts): the
 * authorization URL, the token request as the provider received it, the normalised
 * profile against the golden file, an API call and, where the provider has one, a
 * refresh. The dialects refuse what the providers refuse, so a missing quirk fails here.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { PRESET_NAMES, type PresetName } from '../../../lib/index.js';
import { MockOAuthProvider } from '../../../lib/testing/index.js';
import { golden, stable } from '../../support/preset-fixtures.js';
import { OAuth1PresetDriver, PresetDriver } from '../../support/preset-driver.js';

const OAUTH2 = PRESET_NAMES.filter((n) => n !== 'twitter');
const PROTOCOL_PARAMS = new Set(['response_type', 'client_id', 'redirect_uri', 'state', 'scope', 'code_challenge', 'code_challenge_method', 'nonce']);

let mock: MockOAuthProvider | undefined;
afterEach(async () => {
  await mock?.stop();
  mock = undefined;
});

describe.each(OAUTH2)('the %s preset', (name: PresetName) => {
  it('logs in through its dialect: authorization URL, token request, normalised profile', async () => {
    const g = golden(name);
    mock = await MockOAuthProvider.start({ as: name });
    mock.nextLogin(g.login, { raw: g.raw ?? {} });
    const config = mock.clientConfig(g.options ?? {});
    const driver = new PresetDriver(config);
    const login = await driver.login();

    const url = login.authorizationUrl;
    expect(url.origin).toBe(mock.origin);
    // Scopes space-separated (no provider here wants commas), as the golden file says.
    expect(url.searchParams.get('scope')).toBe(g.authorization.scope);
    expect(url.search).not.toMatch(/scope=[^&]*(%2C|,)/);
    expect(url.searchParams.has('code_challenge')).toBe(g.authorization.pkce);
    expect(url.searchParams.has('nonce')).toBe(g.authorization.nonce);
    const extras = Object.fromEntries([...url.searchParams].filter(([k]) => !PROTOCOL_PARAMS.has(k)));
    expect(extras).toEqual(g.authorization.params ?? {});

    const tokenRequests = mock.requests.filter((r) => r.path === g.tokenRequest.path && r.method === 'POST');
    expect(tokenRequests).toHaveLength(1);
    const sent = tokenRequests[0]!;
    expect(Object.keys(sent.form ?? {}).sort()).toEqual(g.tokenRequest.body);
    expect(sent.headers.authorization?.startsWith('Basic ') ?? false).toBe(g.tokenRequest.auth === 'basic');
    expect('client_secret' in (sent.form ?? {})).toBe(g.tokenRequest.auth === 'post');
    expect(sent.headers['user-agent']).toBeTruthy();

    expect(typeof login.token.scope === 'string' || login.token.scope === undefined).toBe(true);
    expect(stable(login.userinfo)).toEqual(g.userinfo);
    if (login.claims) {
      expect(login.userinfo.sub).toBe(login.claims.sub);
      expect(login.userinfo.aud).toBe(config.clientId);
    }
  });

  it('makes an API call with the token, and refreshes where the provider gives a refresh token', async () => {
    const g = golden(name);
    mock = await MockOAuthProvider.start({ as: name });
    mock.nextLogin(g.login, { raw: g.raw ?? {} });
    const driver = new PresetDriver(mock.clientConfig(g.options ?? {}));
    const { token } = await driver.login();
    if (g.api) {
      const res = await driver.api(token, g.api.method, g.api.path.replace('{origin}', mock.origin));
      expect(res.status).toBe(200);
    }
    expect(typeof token.refresh_token === 'string').toBe(g.refresh);
    if (!g.refresh) return;
    const refreshed = await driver.refresh(token);
    expect(refreshed.access_token).not.toBe(token.access_token);
    if (g.api) {
      const res = await driver.api(refreshed, g.api.method, g.api.path.replace('{origin}', mock.origin));
      expect(res.status).toBe(200);
    }
    // A second refresh with what the client keeps (the new refresh token, or the old
    // one when the provider does not rotate) works too.
    const again = await driver.refresh({ ...refreshed, refresh_token: refreshed.refresh_token ?? token.refresh_token! });
    expect(again.access_token).toEqual(expect.any(String));
  });
});

describe('the twitter preset (OAuth 1.0a)', () => {
  it('logs in through its dialect with signed requests and normalises verify_credentials', async () => {
    const g = golden('twitter');
    mock = await MockOAuthProvider.start({ as: 'twitter' });
    mock.nextLogin(g.login);
    const login = await new OAuth1PresetDriver(mock.clientConfig()).login();
    expect(login.authorizationUrl.pathname).toBe(g.authorization.path);
    expect(login.token).toMatchObject({ oauth_token: expect.any(String), oauth_token_secret: expect.any(String), user_id: g.login.sub });
    expect(login.userinfo).toEqual(g.userinfo);
    expect(mock.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /oauth/request_token',
      'GET /oauth/authenticate',
      'POST /oauth/access_token',
      'GET /1.1/account/verify_credentials.json',
    ]);
    expect(mock.requests.find((r) => r.path === '/1.1/account/verify_credentials.json')!.query).toEqual({ include_email: 'true', skip_status: 'true' });
  });
});
