import { describe, expect, it } from 'vitest';
import { validateClientConfig } from '../../../lib/config/validate-client.js';
import { OAuthConfigError } from '../../../lib/index.js';

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

describe('validateClientConfig', () => {
  it.each([
    ['a missing clientId', { ...github, clientId: undefined }, 'clientId', 'OAuth client "github": clientId is required.'],
    [
      'no way to find the endpoints',
      { clientId: 'x' },
      'serverMetadataUrl',
      'OAuth client "github": set serverMetadataUrl (discovery) or the endpoints authorizeUrl and accessTokenUrl.',
    ],
    ['a URL that does not parse', { ...github, accessTokenUrl: 'not a url' }, 'accessTokenUrl', 'OAuth client "github": accessTokenUrl is not a valid absolute URL.'],
    [
      'a redirectUri with a fragment',
      { ...github, redirectUri: 'https://app.example/cb#x' },
      'redirectUri',
      'OAuth client "github": redirectUri must not contain a fragment (RFC 6749 section 3.1.2).',
    ],
    [
      'an OAuth 1 field on an OAuth 2 client',
      { ...github, signatureMethod: 'HMAC-SHA1' },
      'signatureMethod',
      'OAuth client "github": "signatureMethod" only applies to OAuth 1.0a clients (those with requestTokenUrl).',
    ],
    ['alg none', { ...github, idTokenSigningAlgs: ['RS256', 'none'] }, 'idTokenSigningAlgs', 'OAuth client "github": idTokenSigningAlgs must not allow "none": unsigned ID tokens prove nothing.'],
    [
      'a secret method without a secret',
      { ...github, clientSecret: undefined, tokenEndpointAuthMethod: 'client_secret_post' },
      'clientSecret',
      'OAuth client "github": tokenEndpointAuthMethod client_secret_post needs clientSecret.',
    ],
    ['PKCE plain', { ...github, codeChallengeMethod: 'plain' }, 'codeChallengeMethod', 'OAuth client "github": codeChallengeMethod must be "S256" or false; the "plain" method gives no protection (RFC 7636 section 7.2).'],
  ])('refuses %s, naming the client and the field', (_what, client, field, message) => {
    const err = configError(() => validateClientConfig('github', client));
    expect(err.code).toBe('invalid_config');
    expect(err.client).toBe('github');
    expect(err.field).toBe(field);
    expect(err.message).toBe(message);
  });

  it('refuses a field it does not know even when called directly (run-time registration)', () => {
    const err = configError(() => validateClientConfig('github', { ...github, clientSecrt: 'x' }));
    expect(err.field).toBe('clientSecrt');
  });

  it('applies the defaults and freezes the result', () => {
    const c = validateClientConfig('github', github);
    expect(c).toMatchObject({ name: 'github', kind: 'oauth2', tokenEndpointAuthMethod: 'client_secret_basic', codeChallengeMethod: 'S256', leeway: 120, refreshLeeway: 60 });
    expect(Object.isFrozen(c)).toBe(true);
    expect(validateClientConfig('pub', { clientId: 'x', accessTokenUrl: 'https://p.example/t' }).tokenEndpointAuthMethod).toBe('none');
  });

  it.each(['', '-x', 'a b', 'x'.repeat(65), '../x'])('refuses the client name %j', (name) => {
    expect(configError(() => validateClientConfig(name, github)).field).toBe('name');
  });
});
