/**
 * How a preset becomes a client configuration: the provider's own options checked
 * (in code and from settings), user fields winning, parameter objects merged, hooks
 * composed and bound, and `"preset": "<name>"` resolved by name.
 */
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  OAuthConfigError,
  PRESET_NAMES,
  PRESET_SOURCE,
  providers,
  type OAuthClientConfig,
  type OAuthPresetHooks,
  type ProviderRequest,
} from '../../../lib/index.js';
import { composeHooks } from '../../../lib/presets/preset-config.js';
import { isPresetName, presetOptionNames, resolvePresetSettings } from '../../../lib/presets/preset-registry.js';

const P256 = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
const RSA = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
const APPLE = { clientId: 'com.example.web', teamId: 'TEAM123456', keyId: 'KEY1234567', privateKey: P256 };

function req(): ProviderRequest {
  return { method: 'POST', url: 'https://p.example/token', headers: new Headers() };
}

describe('providers', () => {
  it('has one factory per preset name, each returning a configuration with endpoints', () => {
    expect(Object.keys(providers).sort()).toEqual([...PRESET_NAMES].sort());
    const needs: Record<string, Record<string, unknown>> = { apple: APPLE, okta: { issuer: 'https://o.example/oauth2/default' }, auth0: { domain: 'a.example' }, keycloak: { issuer: 'https://k.example/realms/r' } };
    for (const name of PRESET_NAMES) {
      const config = (providers[name] as (o?: object) => OAuthClientConfig)(needs[name]);
      expect(config.serverMetadataUrl ?? config.accessTokenUrl, name).toMatch(/^https:\/\//);
      expect(config).not.toHaveProperty('preset');
      // Provider options are consumed; `issuer` (Okta, Keycloak) is a client field too, set from it.
      for (const own of presetOptionNames(name)) if (own !== 'issuer') expect(config, `${name}.${own}`).not.toHaveProperty(own);
    }
  });

  it('lets client fields win, merges parameter objects, and keeps the preset\'s hooks', () => {
    const config = providers.reddit({ scope: 'identity read', authorizeParams: { foo: 'bar' }, apiBaseUrl: 'http://127.0.0.1:9/' });
    expect(config.scope).toBe('identity read');
    expect(config.authorizeParams).toEqual({ duration: 'permanent', foo: 'bar' });
    expect(config.apiBaseUrl).toBe('http://127.0.0.1:9/');
    expect(config.hooks!.protectedRequest).toEqual(expect.any(Function));
    expect(providers.reddit({ authorizeParams: { duration: 'temporary' } }).authorizeParams).toEqual({ duration: 'temporary' });
  });

  it('runs the preset\'s hooks before the user\'s, and binds both', async () => {
    const order: string[] = [];
    const user: OAuthClientConfig['hooks'] = {
      accessTokenRequest(r) {
        order.push(`user saw accept=${r.headers.get('accept')}`);
        return r;
      },
      userinfo(raw) {
        order.push(`user saw sub=${String(raw.sub)}`);
        return { ...raw, sub: String(raw.sub), team: 'blue' };
      },
    };
    const config = providers.github({ hooks: user });
    const hooks = config.hooks!.bind!({ name: 'gh', clientId: 'id', userinfoUrl: 'https://api.github.com/user' });
    await hooks.accessTokenRequest!(req());
    const info = await hooks.userinfo!({ id: 7, login: 'l' }, { access_token: 'a', token_type: 'bearer' });
    expect(order).toEqual(['user saw accept=application/json', 'user saw sub=7']);
    expect(info).toMatchObject({ sub: '7', preferred_username: 'l', team: 'blue' });
  });

  it('composes extension points: both idTokenClaims run, the user\'s issuer and profile win', () => {
    const seen: string[] = [];
    const a: OAuthPresetHooks = { idTokenClaims: () => void seen.push('a'), idTokenIssuer: () => 'a', idTokenNonce: 'if-present' };
    const b: OAuthPresetHooks = { idTokenClaims: () => void seen.push('b'), idTokenIssuer: () => 'b' };
    const c = composeHooks(a, b);
    c.idTokenClaims!({});
    expect(seen).toEqual(['a', 'b']);
    expect(c.idTokenIssuer!({}, 'x')).toBe('b');
    expect(c.idTokenNonce).toBe('if-present');
    expect(c.bind).toBeUndefined();
  });
});

describe('provider options', () => {
  it('apple: teamId, keyId and privateKey are required (a compile error, and a runtime one naming the field)', () => {
    // @ts-expect-error teamId is required by the type.
    expect(() => providers.apple({ clientId: 'c', keyId: 'K', privateKey: P256 })).toThrow(expect.objectContaining({ field: 'teamId' }));
    // @ts-expect-error the options object itself is required.
    expect(() => providers.apple()).toThrow(OAuthConfigError);
    expect(() => providers.apple({ ...APPLE, privateKey: RSA })).toThrow(expect.objectContaining({ field: 'privateKey', message: expect.stringContaining('P-256') }));
    expect(() => providers.apple({ ...APPLE, privateKey: 'not a key' })).toThrow(expect.objectContaining({ field: 'privateKey' }));
    expect(() => providers.apple({ ...APPLE, clientSecretTtl: 15_777_001 })).toThrow(expect.objectContaining({ field: 'clientSecretTtl' }));
    expect(providers.apple({ ...APPLE, privateKey: P256.trim().replace(/\n/g, '\\n') })).toMatchObject({ tokenEndpointAuthMethod: 'none' });
  });

  it('okta, keycloak and auth0 require their issuer or domain', () => {
    // @ts-expect-error issuer is required by the type.
    expect(() => providers.okta({})).toThrow(expect.objectContaining({ field: 'issuer' }));
    // @ts-expect-error issuer is required by the type.
    expect(() => providers.keycloak({ clientId: 'x' })).toThrow(expect.objectContaining({ field: 'issuer' }));
    // @ts-expect-error domain is required by the type.
    expect(() => providers.auth0({})).toThrow(expect.objectContaining({ field: 'domain' }));
    expect(() => providers.keycloak({ issuer: 'ftp://k.example/realms/r' })).toThrow(expect.objectContaining({ field: 'issuer' }));
  });
});

describe('"preset": "<name>" in settings', () => {
  it('resolves a preset by name with its provider options, coerced from strings, and drops preset', () => {
    const config = resolvePresetSettings('entra', {
      preset: 'microsoft',
      clientId: 'id',
      clientSecret: 'secret',
      tenant: 'organizations',
      allowedTenants: '["aaaaaaaa-0000-0000-0000-00000000000a"]',
    });
    expect(config).toMatchObject({ clientId: 'id', clientSecret: 'secret', issuer: 'https://login.microsoftonline.com/{tenantid}/v2.0' });
    expect(config).not.toHaveProperty('preset');
    expect(config).not.toHaveProperty('tenant');
    expect(() => config.hooks!.idTokenIssuer!({ tid: 'bbbbbbbb-0000-0000-0000-00000000000b' }, config.issuer!)).toThrow(/allowedTenants/);
    const list = resolvePresetSettings('entra', { preset: 'microsoft', allowedTenants: 'aaaaaaaa-0000-0000-0000-00000000000a, bbbbbbbb-0000-0000-0000-00000000000b' });
    expect(() => list.hooks!.idTokenIssuer!({ tid: 'bbbbbbbb-0000-0000-0000-00000000000b' }, list.issuer!)).not.toThrow();
    expect(resolvePresetSettings('g', { preset: 'google', offline: 'true' }).authorizeParams).toEqual({ access_type: 'offline', prompt: 'consent' });
  });

  it('fails naming the client and the field: unknown preset, missing or malformed provider option', () => {
    expect(() => resolvePresetSettings('gh', { preset: 'githib' })).toThrow(
      expect.objectContaining({ name: 'OAuthConfigError', client: 'gh', field: 'preset', message: expect.stringContaining('github') }),
    );
    expect(() => resolvePresetSettings('apple', { preset: 'apple', clientId: 'c', keyId: 'K', privateKey: P256 })).toThrow(
      expect.objectContaining({ client: 'apple', field: 'teamId', message: 'OAuth client "apple": the apple preset needs teamId.' }),
    );
    expect(() => resolvePresetSettings('g', { preset: 'google', offline: 'yes' })).toThrow(expect.objectContaining({ field: 'offline' }));
    expect(() => resolvePresetSettings('fb', { preset: 'facebook', appsecretProof: 1 })).toThrow(expect.objectContaining({ field: 'appsecretProof' }));
  });

  it('never quotes the settings in its messages', () => {
    const secretLike = 'sk_live_should_not_appear';
    for (const raw of [{ preset: secretLike }, { preset: 'apple', teamId: secretLike }, { preset: 'okta', issuer: secretLike }]) {
      try {
        resolvePresetSettings('c', raw);
        expect.unreachable();
      } catch (e) {
        expect((e as Error).message).not.toContain(secretLike);
      }
    }
  });

  it('knows its names and their options', () => {
    expect(isPresetName('dropbox')).toBe(true);
    expect(isPresetName('__proto__')).toBe(false);
    expect(presetOptionNames('apple')).toEqual(['teamId', 'keyId', 'privateKey', 'clientSecretTtl']);
    expect(presetOptionNames('microsoft')).toEqual(['tenant', 'allowedTenants']);
  });
});

describe('PRESET_SOURCE', () => {
  it('tells a settings loader the preset, its defaults and the fields given in code, out of sight of Object.entries and JSON', () => {
    const config = providers.github({ clientId: 'id', scope: 'repo' });
    expect(config[PRESET_SOURCE]).toMatchObject({ preset: 'github', defaults: { scope: 'read:user user:email' }, explicit: { clientId: 'id', scope: 'repo' } });
    expect(Object.keys(config)).not.toContain(String(PRESET_SOURCE));
    expect(JSON.stringify(config)).not.toContain('presetSource');
    expect({ ...config }[PRESET_SOURCE]?.preset).toBe('github');
  });
});
