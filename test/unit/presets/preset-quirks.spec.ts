/**
 * Each provider's quirks, met by its preset's hooks: against the provider's dialect
 * of the testing kit where the quirk is on the wire, on the hook itself where it is a
 * mapping. Where a test removes a hook, the dialect's refusal shows why it is there.
 */
import { createHmac } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import {
  OAuthProviderError,
  OAuthValidationError,
  providers,
  type OAuthPresetHooks,
  type PresetClientConfig,
  type PresetName,
  type ProviderRequest,
  type ProviderResponse,
} from '../../../lib/index.js';
import { AppleClientSecret } from '../../../lib/presets/apple.preset.js';
import { MockOAuthProvider } from '../../../lib/testing/index.js';
import { PresetDriver } from '../../support/preset-driver.js';

let mock: MockOAuthProvider | undefined;
afterEach(async () => {
  await mock?.stop();
  mock = undefined;
});

async function against(as: PresetName, overrides: Record<string, unknown> = {}): Promise<PresetDriver> {
  mock = await MockOAuthProvider.start({ as });
  return new PresetDriver(mock.clientConfig(overrides));
}

/** The preset's hooks bound to a client, as the library binds them. */
function bound(config: PresetClientConfig, client: { clientId?: string; clientSecret?: string; scope?: string; userinfoUrl?: string } = {}): OAuthPresetHooks {
  const hooks = config.hooks!;
  return hooks.bind ? hooks.bind({ name: 't', clientId: client.clientId ?? 'cid', ...client }) : hooks;
}

function request(url = 'https://api.example/x', headers: Record<string, string> = {}, body?: URLSearchParams): ProviderRequest {
  return { method: 'POST', url, headers: new Headers(headers), ...(body === undefined ? {} : { body }) };
}

function response(body: unknown, status = 200): ProviderResponse {
  return { status, headers: new Headers(), body };
}

/** A Graph API error answer. */
function graph(message: string, type = 'OAuthException', code = 100): ProviderResponse {
  return response({ error: { message, type, code } }, 400);
}

/** Runs a login up to the code, then exchanges the same code twice; returns the second failure. */
async function replayedCode(driver: PresetDriver): Promise<unknown> {
  const pending = await driver.authorization();
  const callback = await driver.approve(pending.url);
  await driver.exchange(pending, callback);
  return driver.exchange(pending, callback).then(
    () => undefined,
    (e: unknown) => e,
  );
}

describe('github', () => {
  it('asks for JSON and sends a User-Agent on token requests and API calls', async () => {
    const hooks = bound(providers.github());
    const token = await hooks.accessTokenRequest!(request('https://github.com/login/oauth/access_token', { accept: 'text/html' }));
    expect(token.headers.get('accept')).toBe('application/json');
    expect(token.headers.get('user-agent')).toBe('nestjs-oauth-client');
    const api = await hooks.protectedRequest!(request(), undefined);
    expect(api.headers.get('user-agent')).toBe('nestjs-oauth-client');
    const own = await hooks.protectedRequest!(request(undefined, { 'user-agent': 'my-app/1.0' }), undefined);
    expect(own.headers.get('user-agent')).toBe('my-app/1.0');
  });

  it('repairs a form-encoded token answer and its comma-separated scope', async () => {
    const hooks = bound(providers.github());
    const res = await hooks.accessTokenResponse!(response('access_token=gho_x&scope=repo%2Cuser%3Aemail&token_type=bearer'));
    expect(res.body).toEqual({ access_token: 'gho_x', scope: 'repo user:email', token_type: 'bearer' });
    const json = await hooks.refreshTokenResponse!(response({ access_token: 'a', scope: 'read:user,user:email', token_type: 'bearer' }));
    expect(json.body).toEqual({ access_token: 'a', scope: 'read:user user:email', token_type: 'bearer' });
  });

  it('turns a bad code answered as HTTP 200 into the provider\'s error', async () => {
    const failure = await replayedCode(await against('github'));
    expect(failure).toBeInstanceOf(OAuthProviderError);
    expect(failure).toMatchObject({ code: 'bad_verification_code', status: 200 });
  });

  it('uses a public email as it is: no user/emails call, and no verification claimed', async () => {
    const driver = await against('github');
    mock!.nextLogin({ sub: '1', preferred_username: 'pub', email: 'pub@example.com' });
    const { userinfo } = await driver.login();
    expect(userinfo).toMatchObject({ sub: '1', email: 'pub@example.com', preferred_username: 'pub' });
    expect(userinfo.email_verified).toBeUndefined();
    expect(mock!.requests.some((r) => r.path === '/user/emails')).toBe(false);
  });

  it('leaves the email out when it is hidden and the scope cannot read user/emails', async () => {
    const driver = await against('github', { scope: 'read:user' });
    mock!.nextLogin({ sub: '2', email: 'hidden@example.com' }, { raw: { email: null } });
    const { userinfo } = await driver.login();
    expect(mock!.requests.find((r) => r.path === '/user/emails')).toBeDefined();
    expect(userinfo.email).toBeUndefined();
    expect(userinfo.emails).toBeUndefined();
  });

  it('builds GitHub Enterprise URLs from enterpriseUrl', () => {
    expect(providers.github({ enterpriseUrl: 'https://git.example.com/' })).toMatchObject({
      authorizeUrl: 'https://git.example.com/login/oauth/authorize',
      accessTokenUrl: 'https://git.example.com/login/oauth/access_token',
      apiBaseUrl: 'https://git.example.com/api/v3/',
      userinfoUrl: 'https://git.example.com/api/v3/user',
    });
  });
});

describe('google', () => {
  it('accepts the scheme-less spelling of its issuer, and only that one', () => {
    const { idTokenIssuer } = providers.google().hooks!;
    expect(idTokenIssuer!({ iss: 'accounts.google.com' }, 'https://accounts.google.com')).toBe('accounts.google.com');
    expect(idTokenIssuer!({ iss: 'https://accounts.google.com' }, 'https://accounts.google.com')).toBe('https://accounts.google.com');
    expect(idTokenIssuer!({ iss: 'evil.example' }, 'https://accounts.google.com')).toBe('https://accounts.google.com');
  });

  it('with hd, sends the hint and requires the claim (any Workspace domain with "*")', () => {
    const config = providers.google({ hd: 'example.com' });
    expect(config.authorizeParams).toEqual({ hd: 'example.com' });
    expect(() => config.hooks!.idTokenClaims!({ hd: 'example.com' })).not.toThrow();
    for (const claims of [{}, { hd: 'evil.com' }]) {
      expect(() => config.hooks!.idTokenClaims!(claims)).toThrow(OAuthValidationError);
    }
    const any = providers.google({ hd: '*' }).hooks!;
    expect(() => any.idTokenClaims!({ hd: 'other.org' })).not.toThrow();
    expect(() => any.idTokenClaims!({})).toThrow(expect.objectContaining({ code: 'invalid_id_token' }));
  });

  it('asks for offline access only when told, and then gets a refresh token at every login', async () => {
    expect(providers.google().authorizeParams).toBeUndefined();
    const driver = await against('google', { offline: true });
    expect((await driver.login()).token.refresh_token).toEqual(expect.any(String));
    // prompt=consent: a second login of the same user gets one again.
    expect((await driver.login()).token.refresh_token).toEqual(expect.any(String));
    const online = new PresetDriver(mock!.clientConfig());
    expect((await online.login()).token.refresh_token).toBeUndefined();
  });
});

describe('microsoft', () => {
  const TENANT_A = 'aaaaaaaa-0000-0000-0000-00000000000a';
  const TENANT_B = 'bbbbbbbb-0000-0000-0000-00000000000b';

  it('matches the {tenantid} issuer with the token\'s tid and refuses a tenant outside allowedTenants', async () => {
    const driver = await against('microsoft', { allowedTenants: [TENANT_A] });
    mock!.nextLogin({ sub: 'a', tid: TENANT_A });
    expect((await driver.login()).claims).toMatchObject({ tid: TENANT_A, iss: `${mock!.origin}/${TENANT_A}/v2.0` });
    mock!.nextLogin({ sub: 'b', tid: TENANT_B });
    await expect(driver.login()).rejects.toMatchObject({ code: 'invalid_id_token', message: expect.stringContaining('allowedTenants') });
  });

  it('logs personal accounts in through the consumers tenant, whose discovery names the issuer by id', async () => {
    const driver = await against('microsoft', { tenant: 'consumers' });
    expect(driver.config.issuer).toBe(`${mock!.origin}/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0`);
    const { claims } = await driver.login();
    expect(claims).toMatchObject({ tid: '9188040d-6c67-4c5b-b112-36a304b66dad' });
  });

  it('refuses a token without tid, and a personal account on an organizations client', () => {
    const hooks = providers.microsoft({ tenant: 'organizations' }).hooks!;
    const template = 'https://login.microsoftonline.com/{tenantid}/v2.0';
    expect(() => hooks.idTokenIssuer!({}, template)).toThrow(expect.objectContaining({ code: 'invalid_id_token' }));
    expect(() => hooks.idTokenIssuer!({ tid: '9188040d-6c67-4c5b-b112-36a304b66dad' }, template)).toThrow(/personal/);
    expect(hooks.idTokenIssuer!({ tid: TENANT_A }, template)).toBe(`https://login.microsoftonline.com/${TENANT_A}/v2.0`);
  });

  it('uses a tenant id as a fixed issuer, and refuses a tenant domain name', () => {
    expect(providers.microsoft({ tenant: TENANT_A })).toMatchObject({
      serverMetadataUrl: `https://login.microsoftonline.com/${TENANT_A}/v2.0/.well-known/openid-configuration`,
      issuer: `https://login.microsoftonline.com/${TENANT_A}/v2.0`,
    });
    expect(() => providers.microsoft({ tenant: 'contoso.onmicrosoft.com' })).toThrow(expect.objectContaining({ field: 'tenant' }));
    expect(() => providers.microsoft({ allowedTenants: ['contoso'] })).toThrow(expect.objectContaining({ field: 'allowedTenants' }));
  });

  it('claims a verified email only when the domain owner verified it (xms_edov)', async () => {
    const { userinfo } = providers.microsoft().hooks!;
    const token = { access_token: 'a', token_type: 'Bearer' };
    expect(await userinfo!({ sub: 's', email: 'm@contoso.com' }, token)).not.toHaveProperty('email_verified');
    expect(await userinfo!({ sub: 's', email: 'm@contoso.com', email_verified: true }, token)).not.toHaveProperty('email_verified');
    expect(await userinfo!({ sub: 's', email: 'm@contoso.com', xms_edov: true }, token)).toMatchObject({ email_verified: true });
  });
});

describe('apple', () => {
  it('mints the client secret as Apple requires and renews it only near its expiry', async () => {
    mock = await MockOAuthProvider.start({ as: 'apple' });
    const key = mock.apple!;
    const minter = new AppleClientSecret({ ...key, clientSecretTtl: 600 });
    const now = 1_800_000_000;
    const jwt = await minter.get('com.example.web', now);
    expect(decodeProtectedHeader(jwt)).toEqual({ alg: 'ES256', kid: key.keyId });
    expect(decodeJwt(jwt)).toEqual({ iss: key.teamId, sub: 'com.example.web', aud: 'https://appleid.apple.com', iat: now, exp: now + 600 });
    expect(await minter.get('com.example.web', now + 500)).toBe(jwt);
    expect(await minter.get('com.example.web', now + 541)).not.toBe(jwt);
  });

  it('sends the minted secret on the exchange, refresh and revocation, which the dialect verifies', async () => {
    const driver = await against('apple');
    const { token } = await driver.login();
    const tokenRequest = mock!.requests.find((r) => r.path === '/auth/token')!;
    expect(tokenRequest.headers.authorization).toBeUndefined();
    expect(decodeJwt(tokenRequest.form!.client_secret!)).toMatchObject({ sub: 'com.example.web', aud: 'https://appleid.apple.com' });
    expect((await driver.refresh(token)).access_token).toEqual(expect.any(String));
    expect((await driver.revoke(token.refresh_token!)).status).toBe(200);
  });

  it('takes the name from the first callback only, and never the email from it', async () => {
    const driver = await against('apple');
    const identity = { sub: '001.x.1', email: 'real@privaterelay.appleid.com', email_verified: true, given_name: 'Ada', family_name: 'King' };
    mock!.nextLogin(identity);
    expect((await driver.login()).userinfo).toMatchObject({ name: 'Ada King', given_name: 'Ada', family_name: 'King', email: 'real@privaterelay.appleid.com', email_verified: true });
    mock!.nextLogin(identity);
    const second = (await driver.login()).userinfo;
    expect(second).toMatchObject({ sub: '001.x.1', email: 'real@privaterelay.appleid.com' });
    expect(second.name).toBeUndefined();

    const { profile, userinfo } = bound(providers.apple({ ...mock!.apple!, clientId: 'c' }));
    const claims = { sub: 's', email: 'signed@privaterelay.appleid.com', email_verified: 'true' };
    const forged = new Map([['user', [JSON.stringify({ name: { firstName: 'Eve' }, email: 'forged@evil.example' })]]]);
    const raw = await profile!({ token: { access_token: 'a', token_type: 'Bearer' }, claims, callbackParams: forged, request: () => Promise.reject(new Error('no call')) });
    expect(await userinfo!(raw, { access_token: 'a', token_type: 'Bearer' })).toMatchObject({ name: 'Eve', email: 'signed@privaterelay.appleid.com', email_verified: true });
    const broken = await profile!({ token: { access_token: 'a', token_type: 'Bearer' }, claims, callbackParams: new Map([['user', ['{not json']]]), request: () => Promise.reject(new Error('no call')) });
    expect(broken).toEqual(claims);
  });
});

describe('x', () => {
  it('repeats client_id in the body beside Basic auth; without that hook X refuses the exchange', async () => {
    const driver = await against('x');
    await driver.login();
    const sent = mock!.requests.find((r) => r.path === '/2/oauth2/token')!;
    expect(sent.headers.authorization).toMatch(/^Basic /);
    expect(sent.form!.client_id).toBe(driver.config.clientId);

    const withoutHook = new PresetDriver({ ...driver.config, hooks: { ...driver.hooks, accessTokenRequest: undefined } });
    await expect(withoutHook.login()).rejects.toMatchObject({ code: 'invalid_request' });
  });

  it('needs PKCE: with it turned off the authorization is refused', async () => {
    const driver = await against('x', { codeChallengeMethod: false });
    await expect(driver.login()).rejects.toMatchObject({ code: 'invalid_request' });
  });

  it('works for a public client, and gives a refresh token only with offline.access', async () => {
    const pub = await against('x', { clientId: 'x-public-client' });
    const { token } = await pub.login();
    const sent = mock!.requests.find((r) => r.path === '/2/oauth2/token')!;
    expect(sent.headers.authorization).toBeUndefined();
    expect(sent.form).toMatchObject({ client_id: 'x-public-client', code_verifier: expect.any(String) });
    expect(token.refresh_token).toEqual(expect.any(String));
    const online = new PresetDriver(mock!.clientConfig({ scope: 'users.read tweet.read' }));
    expect((await online.login()).token.refresh_token).toBeUndefined();
  });
});

describe('twitch', () => {
  it('turns the scope array into a string and {status, message} errors into OAuth codes', async () => {
    const hooks = bound(providers.twitch());
    expect((await hooks.accessTokenResponse!(response({ access_token: 'a', token_type: 'bearer', scope: ['openid', 'user:read:email'] }))).body).toMatchObject({
      scope: 'openid user:read:email',
    });
    expect((await hooks.accessTokenResponse!(response({ status: 403, message: 'invalid client secret' }, 403))).body).toMatchObject({ error: 'invalid_client' });
    expect((await hooks.refreshTokenResponse!(response({ status: 400, message: 'Invalid refresh token' }, 400))).body).toMatchObject({ error: 'invalid_grant' });
    const failure = await replayedCode(await against('twitch'));
    expect(failure).toMatchObject({ code: 'invalid_grant', status: 400 });
  });

  it('sends Client-Id on Helix calls, with the client id the client ends up with', async () => {
    const late = providers.twitch().hooks!.bind!({ name: 't', clientId: 'from-settings' });
    expect((await late.protectedRequest!(request(), undefined)).headers.get('client-id')).toBe('from-settings');
    const driver = await against('twitch');
    const { token } = await driver.login();
    const res = await driver.api(token, 'GET', 'users');
    expect(res.status).toBe(200);
    expect(mock!.requests.find((r) => r.path === '/helix/users')!.headers['client-id']).toBe(driver.config.clientId);
  });
});

describe('facebook', () => {
  it('proves the app secret on API calls, unless turned off', async () => {
    const hooks = bound(providers.facebook({ clientId: 'app', clientSecret: 'shh' }), { clientSecret: 'shh' });
    const token = { access_token: 'EAAB', token_type: 'bearer' };
    const proved = await hooks.protectedRequest!({ method: 'GET', url: 'https://graph.facebook.com/v22.0/me?fields=id', headers: new Headers() }, token);
    expect(new URL(proved.url).searchParams.get('appsecret_proof')).toBe(createHmac('sha256', 'shh').update('EAAB').digest('hex'));
    expect(new URL(proved.url).searchParams.get('fields')).toBe('id');
    const off = bound(providers.facebook({ appsecretProof: false }), { clientSecret: 'shh' });
    expect((await off.protectedRequest!({ method: 'GET', url: 'https://graph.facebook.com/v22.0/me', headers: new Headers() }, token)).url).not.toContain('appsecret_proof');
  });

  it('maps Graph errors to OAuth codes, and a replayed code to invalid_grant', async () => {
    const hooks = bound(providers.facebook());
    expect((await hooks.accessTokenResponse!(graph('Error validating client secret.', 'OAuthException', 1))).body).toMatchObject({ error: 'invalid_client' });
    expect((await hooks.accessTokenResponse!(graph('This authorization code has been used.'))).body).toMatchObject({ error: 'invalid_grant', error_description: 'This authorization code has been used.' });
    expect((await hooks.accessTokenResponse!(graph('Unsupported', 'GraphMethodException'))).body).toMatchObject({ error: 'invalid_request' });
    expect(await replayedCode(await against('facebook'))).toMatchObject({ code: 'invalid_grant' });
  });

  it('puts the Graph version in every URL, and refuses a malformed one', () => {
    expect(providers.facebook({ version: 'v19.0' })).toMatchObject({
      authorizeUrl: 'https://www.facebook.com/v19.0/dialog/oauth',
      accessTokenUrl: 'https://graph.facebook.com/v19.0/oauth/access_token',
      apiBaseUrl: 'https://graph.facebook.com/v19.0/',
    });
    expect(() => providers.facebook({ version: '19' })).toThrow(expect.objectContaining({ field: 'version' }));
  });
});

describe('reddit', () => {
  it('maps Reddit\'s numeric error to invalid_client', async () => {
    const driver = await against('reddit', { clientSecret: 'not-the-secret' });
    await expect(driver.login()).rejects.toMatchObject({ code: 'invalid_client', status: 401 });
  });

  it('sends a User-Agent on every request and asks for a permanent grant unless told otherwise', async () => {
    const hooks = providers.reddit().hooks!;
    for (const hook of [hooks.accessTokenRequest!, hooks.refreshTokenRequest!, hooks.revokeTokenRequest!]) {
      expect((await hook(request())).headers.get('user-agent')).toBe('nestjs-oauth-client');
    }
    expect(providers.reddit().authorizeParams).toEqual({ duration: 'permanent' });
    const temporary = await against('reddit', { duration: 'temporary' });
    expect((await temporary.login()).token.refresh_token).toBeUndefined();
    expect(() => providers.reddit({ duration: 'forever' })).toThrow(expect.objectContaining({ field: 'duration' }));
  });
});

describe('dropbox', () => {
  it('fetches the profile with a POST that has no body', async () => {
    const driver = await against('dropbox');
    await driver.login();
    const call = mock!.requests.find((r) => r.path === '/2/users/get_current_account')!;
    expect(call.method).toBe('POST');
    expect(call.body).toBe('');
    expect(call.headers['content-type']).toBeUndefined();
  });

  it('gets a refresh token with token_access_type=offline only', async () => {
    const online = await against('dropbox', { authorizeParams: { token_access_type: 'online' } });
    expect((await online.login()).token.refresh_token).toBeUndefined();
  });
});

describe('slack', () => {
  it('keeps Slack\'s errors (HTTP 200, ok:false) and adds a missing token_type to a good answer', async () => {
    expect(await replayedCode(await against('slack'))).toMatchObject({ code: 'invalid_code', status: 200 });
    const hooks = providers.slack().hooks!;
    expect((await hooks.accessTokenResponse!(response({ ok: true, access_token: 'xoxp' }))).body).toEqual({ ok: true, access_token: 'xoxp', token_type: 'Bearer' });
    expect((await hooks.accessTokenResponse!(response({ ok: false, error: 'invalid_code' }))).body).toEqual({ ok: false, error: 'invalid_code' });
  });
});

describe('linkedin', () => {
  it('accepts its ID tokens without a nonce because of idTokenNonce; without it they are refused', async () => {
    const driver = await against('linkedin');
    expect((await driver.login()).claims!.nonce).toBeUndefined();
    const strict = new PresetDriver({ ...driver.config, hooks: { ...driver.hooks, idTokenNonce: undefined } });
    await expect(strict.login()).rejects.toMatchObject({ code: 'invalid_id_token' });
  });
});

describe('okta', () => {
  it('repeats the client\'s scope on refresh', async () => {
    const driver = await against('okta');
    const { token } = await driver.login();
    await driver.refresh(token);
    const refresh = mock!.requests.find((r) => r.form?.grant_type === 'refresh_token')!;
    expect(refresh.form!.scope).toBe('openid profile email offline_access');
    expect(() => providers.okta({} as never)).toThrow(expect.objectContaining({ field: 'issuer' }));
  });
});

describe('auth0, keycloak, gitlab', () => {
  it('build their URLs from domain, realm issuer and baseUrl', () => {
    expect(providers.auth0({ domain: 'https://tenant.eu.auth0.com/' })).toMatchObject({
      serverMetadataUrl: 'https://tenant.eu.auth0.com/.well-known/openid-configuration',
      issuer: 'https://tenant.eu.auth0.com/',
    });
    expect(() => providers.auth0({ domain: 'tenant.auth0.com/path?x' })).toThrow(expect.objectContaining({ field: 'domain' }));
    expect(providers.keycloak({ issuer: 'https://kc.example/realms/demo/' })).toMatchObject({
      serverMetadataUrl: 'https://kc.example/realms/demo/.well-known/openid-configuration',
      issuer: 'https://kc.example/realms/demo',
    });
    expect(providers.gitlab({ baseUrl: 'https://gitlab.example.com' })).toMatchObject({
      authorizeUrl: 'https://gitlab.example.com/oauth/authorize',
      accessTokenUrl: 'https://gitlab.example.com/oauth/token',
      revocationUrl: 'https://gitlab.example.com/oauth/revoke',
      userinfoUrl: 'https://gitlab.example.com/api/v4/user',
    });
  });
});

describe('discord', () => {
  it('turns avatar hashes into CDN URLs (animated ones as gif) and computes default avatars', async () => {
    const { userinfo } = providers.discord().hooks!;
    const token = { access_token: 'a', token_type: 'Bearer' };
    const pic = async (raw: Record<string, unknown>) => (await userinfo!({ id: '80351110224678912', username: 'nelly', ...raw }, token)).picture;
    expect(await pic({ avatar: 'a_1269e74af4df7417b13759eae50c83dc' })).toBe('https://cdn.discordapp.com/avatars/80351110224678912/a_1269e74af4df7417b13759eae50c83dc.gif');
    expect(await pic({ avatar: null, discriminator: '0' })).toBe(`https://cdn.discordapp.com/embed/avatars/${Number((80351110224678912n >> 22n) % 6n)}.png`);
    expect(await pic({ avatar: null, discriminator: '1337' })).toBe('https://cdn.discordapp.com/embed/avatars/2.png');
    expect((await userinfo!({ id: '1', username: 'old', discriminator: '1337' }, token)).preferred_username).toBe('old#1337');
  });
});
