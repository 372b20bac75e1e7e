import { describe, expect, it } from 'vitest';
import {
  OAuthConfigError,
  OAuthError,
  OAuthException,
  OAuthProviderError,
  OAuthResponseError,
  OAuthStateStoreError,
  OAuthTransportError,
  OAuthUsageError,
  OAuthValidationError,
} from '../../../lib/index.js';

describe('OAuthException', () => {
  it.each([
    [new OAuthValidationError('mismatching_state', 'm'), 401],
    [new OAuthValidationError('invalid_request', 'm'), 400],
    [new OAuthTransportError('timeout', 'm'), 504],
    [new OAuthTransportError('provider_unavailable', 'm'), 502],
    [new OAuthResponseError('response_too_large', 'm'), 502],
    [new OAuthStateStoreError('state_store_unavailable', 'm'), 503],
    [new OAuthConfigError('m'), 500],
    [new OAuthUsageError('unknown_client', 'm'), 404],
    [new OAuthError('server_error', 'm'), 500],
  ])('%s answers its code status', (error, status) => {
    const ex = new OAuthException(error);
    expect(ex.getStatus()).toBe(status);
    expect(ex.getResponse()).toEqual({ statusCode: status, error: error.code, message: 'm' });
    expect(ex.error).toBe(error);
    expect(ex.cause).toBe(error);
  });

  it.each(['timeout', 'invalid_config', 'state_store_unavailable', 'provider_unavailable', 'server_error', 'access_denied', 'invalid_grant'])(
    'a provider error named %s is 401: a provider cannot fake an outage or a misconfiguration',
    (code) => {
      const ex = new OAuthException(new OAuthProviderError(code, `The provider refused the authorization: ${code}.`));
      expect(ex.getStatus()).toBe(401);
      expect(ex.getResponse()).toMatchObject({ statusCode: 401, error: code });
    },
  );

  it('a library error with a code the table does not know is a 500', () => {
    expect(new OAuthException(new OAuthError('made_up', 'm')).getStatus()).toBe(500);
  });
});
