/**
 * Authlib's setting names, constants and units, as a Django `AUTHLIB_OAUTH_CLIENTS`
 * carries them (here as the JSON of `OAUTH_CLIENTS`): every one with a meaning here
 * is read with Authlib's meaning, at the top level or under `client_kwargs` where
 * Authlib reads it; every one without a meaning fails bootstrap naming it and why.
 */
import { generateKeyPairSync } from 'node:crypto';
import { ConfigModule } from '@nestjs/config';
import { Test } from '@nestjs/testing';
import { describe, expect, it } from 'vitest';
import { loadClientConfigs } from '../../../lib/config/load-client-configs.js';
import type { ResolvedClientConfig } from '../../../lib/config/resolved-client.js';
import { OAuthConfigError, OAuthModule } from '../../../lib/index.js';

type Settings = Record<string, unknown>;

/** The seed's Twitter entry, OAuth 1.0a. */
const twitter = (more: Settings = {}): Settings => ({
  client_id: 'Twitter Consumer Key',
  client_secret: 'Twitter Consumer Secret',
  request_token_url: 'https://api.twitter.com/oauth/request_token',
  access_token_url: 'https://api.twitter.com/oauth/access_token',
  authorize_url: 'https://api.twitter.com/oauth/authenticate',
  api_base_url: 'https://api.twitter.com/1.1/',
  ...more,
});

/** The seed's Google entry, OpenID Connect. */
const google = (more: Settings = {}): Settings => ({
  client_id: 'google-id',
  client_secret: 'google-secret',
  server_metadata_url: 'https://accounts.google.com/.well-known/openid-configuration',
  client_kwargs: { scope: 'openid profile email' },
  ...more,
});

/** One client named `c`, loaded from `OAUTH_CLIENTS` as a JSON string, as from `.env`. */
function load(settings: Settings): ResolvedClientConfig {
  const values: Settings = { OAUTH_CLIENTS: JSON.stringify({ c: settings }) };
  return loadClientConfigs({ get: (key) => values[key] }).get('c')!;
}

function refusal(settings: Settings): OAuthConfigError {
  try {
    load(settings);
  } catch (err) {
    expect(err).toBeInstanceOf(OAuthConfigError);
    return err as OAuthConfigError;
  }
  throw new Error('expected an OAuthConfigError');
}

describe("Authlib's names and meanings", () => {
  it.each([
    ['HEADER', 'header'],
    ['QUERY', 'query'],
    ['BODY', 'body'],
  ] as const)('signature_type %s (Authlib SIGNATURE_TYPE_*) is signatureType %s, at the top level and in client_kwargs', (constant, ours) => {
    expect(load(twitter({ signature_type: constant })).signatureType).toBe(ours);
    expect(load(twitter({ client_kwargs: { signature_type: constant } })).signatureType).toBe(ours);
    expect(load(twitter({ signatureType: ours })).signatureType).toBe(ours);
  });

  it('an unknown signature_type constant fails, naming the field and the accepted values', () => {
    const err = refusal(twitter({ signature_type: 'URL' }));
    expect(err.field).toBe('signatureType');
    expect(err.message).toBe('OAuth client "c": signatureType must be one of header, query, body; got "URL".');
  });

  it('signature_method and rsa_key in client_kwargs (OAuth1Session arguments) sign with RSA-SHA1', () => {
    const pem = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const c = load(twitter({ client_secret: null, client_kwargs: { signature_method: 'RSA-SHA1', rsa_key: pem } }));
    expect(c.signatureMethod).toBe('RSA-SHA1');
    expect(c.rsaKey).toBe(pem);
    expect(c.clientSecret).toBeUndefined();
  });

  it('realm (OAuth 1) at the top level and in client_kwargs; refused on OAuth 2 and when a header cannot quote it', () => {
    expect(load(twitter({ realm: 'Photos' })).realm).toBe('Photos');
    expect(load(twitter({ client_kwargs: { realm: 'Photos' } })).realm).toBe('Photos');
    expect(refusal(google({ realm: 'Photos' })).message).toBe(
      'OAuth client "c": "realm" only applies to OAuth 1.0a clients (those with requestTokenUrl).',
    );
    const quoted = refusal(twitter({ realm: 'say "hi"' }));
    expect(quoted.field).toBe('realm');
    expect(quoted.message).toBe('OAuth client "c": realm must be printable ASCII without quotes or backslashes.');
  });

  it.each(['header', 'uri', 'body'] as const)('token_placement %s (OAuth2Session) is tokenPlacement, at the top level and in client_kwargs', (placement) => {
    expect(load(google({ token_placement: placement })).tokenPlacement).toBe(placement);
    expect(load(google({ client_kwargs: { scope: 'openid', token_placement: placement } })).tokenPlacement).toBe(placement);
  });

  it('token_placement is refused for OAuth 1 and for an unknown placement', () => {
    expect(refusal(twitter({ token_placement: 'uri' })).field).toBe('tokenPlacement');
    expect(refusal(google({ token_placement: 'cookie' })).message).toBe(
      'OAuth client "c": tokenPlacement must be one of header, uri, body; got "cookie".',
    );
  });

  it('default_timeout and client_kwargs.timeout are seconds; our own timeout stays milliseconds', () => {
    expect(load(google({ default_timeout: 5 })).timeout).toBe(5000);
    expect(load(google({ client_kwargs: { default_timeout: 0.5 } })).timeout).toBe(500);
    expect(load(google({ client_kwargs: { timeout: 2.5 } })).timeout).toBe(2500);
    expect(load(twitter({ client_kwargs: { timeout: 3 } })).timeout).toBe(3000);
    expect(load(google({ timeout: 2500 })).timeout).toBe(2500);
    expect(load(google()).timeout).toBeUndefined();
  });

  it('a timeout that is not a positive number of seconds fails naming timeout', () => {
    expect(refusal(google({ default_timeout: -1 })).message).toBe('OAuth client "c": timeout must be a non-negative number.');
    expect(refusal(google({ client_kwargs: { timeout: 0 } })).message).toBe('OAuth client "c": timeout must be more than 0 ms.');
    expect(refusal(google({ default_timeout: 'ten' })).field).toBe('timeout');
  });

  it('client_kwargs.leeway is the token-expiry leeway (refreshLeeway), not ID-token clock skew; top-level leeway is the clock skew', () => {
    const kw = load(google({ client_kwargs: { scope: 'openid', leeway: 300 } }));
    expect(kw.refreshLeeway).toBe(300);
    expect(kw.leeway).toBe(120);
    const top = load(google({ leeway: 30 }));
    expect(top.leeway).toBe(30);
    expect(top.refreshLeeway).toBe(60);
  });

  it("request_token_params flat and in Authlib's requests form ({ params }) are the same extra parameters", () => {
    const flat = load(twitter({ request_token_params: { x_auth_access_type: 'read' } }));
    const requestsForm = load(twitter({ request_token_params: { params: { x_auth_access_type: 'read' } } }));
    expect(flat.requestTokenParams).toEqual({ x_auth_access_type: 'read' });
    expect(requestsForm.requestTokenParams).toEqual({ x_auth_access_type: 'read' });
    expect(load(twitter({ access_token_params: { params: { x: '1' } } })).accessTokenParams).toEqual({ x: '1' });
    expect(load(google({ authorize_params: { params: { prompt: 'consent' } } })).authorizeParams).toEqual({ prompt: 'consent' });
    // A parameter that happens to be called "params", beside others, is a parameter.
    expect(load(twitter({ request_token_params: { params: 'p', lang: 'en' } })).requestTokenParams).toEqual({ params: 'p', lang: 'en' });
  });

  it('client_kwargs scope, token_endpoint_auth_method and code_challenge_method are read as Authlib reads them', () => {
    const c = load(google({ client_kwargs: { scope: 'openid  email', token_endpoint_auth_method: 'client_secret_post', code_challenge_method: 'S256' } }));
    expect(c.scope).toBe('openid email');
    expect(c.tokenEndpointAuthMethod).toBe('client_secret_post');
    expect(c.codeChallengeMethod).toBe('S256');
    // Authlib leaves PKCE off without code_challenge_method; here it is on unless turned off.
    expect(load(google({ client_kwargs: { scope: 'openid', code_challenge_method: null } })).codeChallengeMethod).toBe('S256');
    expect(load(google({ client_kwargs: { scope: 'openid', code_challenge_method: false } })).codeChallengeMethod).toBe(false);
  });

  it("Authlib's metadata names given at registration are our endpoint fields", () => {
    const c = load({
      client_id: 'id',
      client_secret: 'secret',
      authorize_url: 'https://p.example/authorize',
      authorize_params: { audience: 'api' },
      access_token_url: 'https://p.example/token',
      access_token_params: { resource: 'https://api.example' },
      refresh_token_url: 'https://p.example/refresh',
      refresh_token_params: { scope: 'a' },
      jwks_uri: 'https://p.example/jwks',
      userinfo_endpoint: 'https://p.example/userinfo',
      revocation_endpoint: 'https://p.example/revoke',
      introspection_endpoint: 'https://p.example/introspect',
      id_token_signing_alg_values_supported: ['ES256'],
      issuer: 'https://p.example',
      api_base_url: 'https://api.p.example/v1/',
      redirect_uri: '/auth/p',
      user_agent: 'my-app/1.0',
      overwrite: true,
    });
    expect(c).toMatchObject({
      kind: 'oauth2',
      authorizeUrl: 'https://p.example/authorize',
      authorizeParams: { audience: 'api' },
      accessTokenUrl: 'https://p.example/token',
      accessTokenParams: { resource: 'https://api.example' },
      refreshTokenUrl: 'https://p.example/refresh',
      refreshTokenParams: { scope: 'a' },
      jwksUrl: 'https://p.example/jwks',
      userinfoUrl: 'https://p.example/userinfo',
      revocationUrl: 'https://p.example/revoke',
      introspectionUrl: 'https://p.example/introspect',
      idTokenSigningAlgs: ['ES256'],
      issuer: 'https://p.example',
      apiBaseUrl: 'https://api.p.example/v1/',
      redirectUri: '/auth/p',
      userAgent: 'my-app/1.0',
      overwrite: true,
    });
  });
});

describe('Authlib settings without a meaning here', () => {
  // Each setting with a value Authlib accepts, and the reason the refusal gives.
  const settings: Array<[string, unknown, string]> = [
    ['compliance_fix', 'myapp.fixes.slack', 'compliance fixes are functions: give them as "hooks" on the client in code'],
    ['client_auth_methods', ['myapp.auth.Custom'], 'custom client authentication classes do not exist here; use tokenEndpointAuthMethod'],
    ['verify', false, 'TLS certificates are always verified; add a CA with NODE_EXTRA_CA_CERTS'],
    ['proxies', { https: 'http://proxy.example:3128' }, 'give a proxying fetch through the module option "fetch"'],
    ['trust_env', true, 'give a proxying fetch through the module option "fetch"'],
    ['cert', '/etc/ssl/client.pem', 'client certificates (mTLS) are not supported; give a fetch with an agent through the module option "fetch"'],
    ['state', 'fixed-state', 'state is always generated from 256 random bits and cannot be fixed'],
    ['code_verifier', 'fixed-verifier', 'the PKCE verifier is always generated per login'],
    ['nonce', 'fixed-nonce', 'the nonce is always generated per login'],
    ['force_include_body', true, 'form bodies are always signed (RFC 5849 3.4.1.3.1) and other bodies never are'],
    ['verifier', 'v', 'the OAuth 1 verifier comes from the callback'],
    ['token', { access_token: 'x', token_type: 'bearer' }, 'tokens are given per call ({ token }) or by fetchToken'],
    ['token_endpoint', 'https://p.example/token', 'use accessTokenUrl (access_token_url)'],
    ['revocation_endpoint_auth_method', 'client_secret_post', 'the same tokenEndpointAuthMethod is used for every endpoint'],
    ['fetch_token', 'myapp.tokens.fetch', 'fetchToken is a function: give it in code'],
    ['update_token', 'myapp.tokens.update', 'updateToken is a function: give it in code'],
  ];

  it.each(settings)('%s fails, at the top level and in client_kwargs, naming the setting and why', (key, value, why) => {
    const message = `OAuth client "c": the Authlib setting "${key}" has no meaning here: ${why}.`;
    for (const settingsOfClient of [google({ [key]: value }), google({ client_kwargs: { scope: 'openid', [key]: value } })]) {
      const err = refusal(settingsOfClient);
      expect(err.code).toBe('invalid_config');
      expect(err.client).toBe('c');
      expect(err.field).toBe(key);
      expect(err.message).toBe(message);
    }
  });

  it('null means unset, as in the seed: a setting without meaning given as null is ignored', () => {
    expect(load(google({ compliance_fix: null, client_kwargs: { scope: 'openid', verify: null } })).kind).toBe('oauth2');
  });

  it('fails the application bootstrap through ConfigService, not only the loader', async () => {
    const values = { OAUTH_CLIENTS: JSON.stringify({ google: google({ client_kwargs: { scope: 'openid', verify: false } }) }) };
    const compiling = Test.createTestingModule({
      imports: [ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [() => values] }), OAuthModule.forRoot({ stateSecret: 'k'.repeat(32) })],
    }).compile();
    await expect(compiling).rejects.toBeInstanceOf(OAuthConfigError);
    await expect(compiling).rejects.toThrow(
      'OAuth client "google": the Authlib setting "verify" has no meaning here: TLS certificates are always verified; add a CA with NODE_EXTRA_CA_CERTS.',
    );
  });
});
