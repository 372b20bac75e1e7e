import { describe, expect, it } from 'vitest';
import { loadClientConfigs, type ConfigReader } from '../../../lib/config/load-client-configs.js';
import { OAuthConfigError } from '../../../lib/index.js';

const reader = (values: Record<string, unknown>): ConfigReader => ({ get: (key) => values[key] });

const github = {
  clientId: 'gh-id',
  clientSecret: 'gh-secret',
  authorizeUrl: 'https://github.com/login/oauth/authorize',
  accessTokenUrl: 'https://github.com/login/oauth/access_token',
  apiBaseUrl: 'https://api.github.com/',
};

function configError(fn: () => unknown): OAuthConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(OAuthConfigError);
    return err as OAuthConfigError;
  }
  throw new Error('expected an OAuthConfigError');
}

describe('loadClientConfigs', () => {
  it('reads OAUTH_CLIENTS as an object and as a JSON string alike', () => {
    const fromObject = loadClientConfigs(reader({ OAUTH_CLIENTS: { github } }));
    const fromJson = loadClientConfigs(reader({ OAUTH_CLIENTS: JSON.stringify({ github }) }));
    expect(fromObject.get('github')).toEqual(fromJson.get('github'));
    const c = fromObject.get('github')!;
    expect(c.kind).toBe('oauth2');
    expect(c.tokenEndpointAuthMethod).toBe('client_secret_basic');
    expect(c.codeChallengeMethod).toBe('S256');
    expect(c.leeway).toBe(120);
    expect(c.refreshLeeway).toBe(60);
    expect(Object.isFrozen(c)).toBe(true);
  });

  it("accepts Authlib's setting names, client_kwargs and nulls (the seed's example)", () => {
    const seed = {
      twitter: {
        client_id: 'Twitter Consumer Key',
        client_secret: 'Twitter Consumer Secret',
        request_token_url: 'https://api.twitter.com/oauth/request_token',
        request_token_params: null,
        access_token_url: 'https://api.twitter.com/oauth/access_token',
        access_token_params: null,
        refresh_token_url: null,
        authorize_url: 'https://api.twitter.com/oauth/authenticate',
        api_base_url: 'https://api.twitter.com/1.1/',
        client_kwargs: null,
      },
      google: {
        client_id: 'g',
        client_secret: 's',
        server_metadata_url: 'https://accounts.google.com/.well-known/openid-configuration',
        client_kwargs: { scope: 'openid email profile', token_endpoint_auth_method: 'client_secret_post', code_challenge_method: 'S256' },
      },
    };
    const clients = loadClientConfigs(reader({ OAUTH_CLIENTS: JSON.stringify(seed) }));
    const twitter = clients.get('twitter')!;
    expect(twitter.kind).toBe('oauth1');
    expect(twitter.clientId).toBe('Twitter Consumer Key');
    expect(twitter.apiBaseUrl).toBe('https://api.twitter.com/1.1/');
    expect(twitter.signatureMethod).toBe('HMAC-SHA1');
    expect('requestTokenParams' in twitter).toBe(false);
    const google = clients.get('google')!;
    expect(google.scope).toBe('openid email profile');
    expect(google.tokenEndpointAuthMethod).toBe('client_secret_post');
  });

  it('lets flat OAUTH_<NAME>_<FIELD> keys override single fields, coercing types', () => {
    const clients = loadClientConfigs(
      reader({
        OAUTH_CLIENTS: { github, 'my-app': { clientId: 'x', accessTokenUrl: 'https://p.example/token' } },
        OAUTH_GITHUB_CLIENT_SECRET: 'from-env',
        OAUTH_GITHUB_TIMEOUT: '2500',
        OAUTH_GITHUB_AUTHORIZE_PARAMS: '{"allow_signup":"false"}',
        OAUTH_MY_APP_CODE_CHALLENGE_METHOD: 'false',
        OAUTH_NOBODY_CLIENT_ID: 'creates nothing',
      }),
    );
    const c = clients.get('github')!;
    expect(c.clientSecret).toBe('from-env');
    expect(c.timeout).toBe(2500);
    expect(c.authorizeParams).toEqual({ allow_signup: 'false' });
    expect(clients.get('my-app')!.codeChallengeMethod).toBe(false);
    expect(clients.has('nobody')).toBe(false);
  });

  it('merges code and settings: code wins, unless the client says overwrite', () => {
    const settings = { OAUTH_CLIENTS: { github: { ...github, scope: 'from-settings' }, other: { ...github, scope: 'from-settings', overwrite: true } } };
    const clients = loadClientConfigs(reader(settings), {
      github: { scope: 'from-code' },
      other: { scope: 'from-code' },
      coded: { clientId: 'c', accessTokenUrl: 'https://p.example/token' },
    });
    expect(clients.get('github')!.scope).toBe('from-code');
    expect(clients.get('other')!.scope).toBe('from-settings');
    expect(clients.get('coded')!.tokenEndpointAuthMethod).toBe('none');
  });

  it('flat keys win over code too', () => {
    const clients = loadClientConfigs(reader({ OAUTH_GITHUB_CLIENT_SECRET: 'env' }), { github });
    expect(clients.get('github')!.clientSecret).toBe('env');
  });

  it('refuses an unknown field, naming the client and the field', () => {
    const err = configError(() => loadClientConfigs(reader({ OAUTH_CLIENTS: { github: { ...github, clientSecrt: 'x' } } })));
    expect(err.code).toBe('invalid_config');
    expect(err.client).toBe('github');
    expect(err.field).toBe('clientSecrt');
    expect(err.message).toBe('OAuth client "github": "clientSecrt" is not a client setting; see OAuthClientConfig for the accepted fields.');
  });

  it('refuses OAUTH_CLIENTS that is not JSON', () => {
    const err = configError(() => loadClientConfigs(reader({ OAUTH_CLIENTS: '{nope' })));
    expect(err.field).toBe('OAUTH_CLIENTS');
  });

  it('never puts a secret into an error message', () => {
    const err = configError(() =>
      loadClientConfigs(reader({ OAUTH_CLIENTS: { github: { ...github, clientSecret: 'TOPSECRET', accessTokenUrl: 'nope' } } })),
    );
    expect(err.message).not.toContain('TOPSECRET');
  });
});
