import { describe, expect, it } from 'vitest';
import {
  OAuthConfigError,
  OAuthError,
  OAuthProviderError,
  OAuthTokenUpdateError,
  OAuthTransportError,
  OAuthValidationError,
  type OAuthErrorCode,
} from '../../../lib/index.js';

// These functions are the compile check: `tsc --noEmit` fails if a family's `code`
// stops narrowing to its own codes (the `never` default and the @ts-expect-error).
function transportAnswer(err: OAuthTransportError): string {
  switch (err.code) {
    case 'timeout':
      return 'slow';
    case 'provider_unavailable':
      return 'down';
    default: {
      const unreachable: never = err.code;
      return unreachable;
    }
  }
}

function validationIsReplay(err: OAuthValidationError): boolean {
  // @ts-expect-error: 'timeout' is not a validation code; the comparison cannot be true.
  if (err.code === 'timeout') return false;
  return err.code === 'mismatching_state';
}

function describeAny(err: unknown): string {
  if (err instanceof OAuthTransportError) return transportAnswer(err);
  if (err instanceof OAuthConfigError) {
    const code: 'invalid_config' = err.code;
    return `${code}:${err.field ?? ''}`;
  }
  if (err instanceof OAuthError) {
    // The base class admits any code (a provider's own), so a string is all it is.
    const code: OAuthErrorCode = err.code;
    return code;
  }
  return 'other';
}

describe('OAuthError family', () => {
  it('a family class narrows `code` for switch and comparisons', () => {
    expect(transportAnswer(new OAuthTransportError('timeout', 'm'))).toBe('slow');
    expect(transportAnswer(new OAuthTransportError('provider_unavailable', 'm'))).toBe('down');
    expect(validationIsReplay(new OAuthValidationError('mismatching_state', 'm'))).toBe(true);
    expect(describeAny(new OAuthConfigError('m', { client: 'c', field: 'clientId' }))).toBe('invalid_config:clientId');
    expect(describeAny(new OAuthProviderError('access_denied', 'm'))).toBe('access_denied');
  });

  it('names each error after its class and keeps code, description, uri, status', () => {
    const err = new OAuthProviderError('invalid_grant', 'The token endpoint refused the request: invalid_grant.', {
      description: 'expired',
      uri: 'https://op.example/e',
      status: 400,
    });
    expect(err).toBeInstanceOf(OAuthError);
    expect(err.name).toBe('OAuthProviderError');
    expect(err).toMatchObject({ code: 'invalid_grant', description: 'expired', uri: 'https://op.example/e', status: 400 });
    expect('cause' in err).toBe(false);
  });

  it('OAuthConfigError carries client and field and is always invalid_config', () => {
    const err = new OAuthConfigError('OAuth client "x": clientId is required.', { client: 'x', field: 'clientId' });
    expect(err).toMatchObject({ code: 'invalid_config', client: 'x', field: 'clientId', name: 'OAuthConfigError' });
  });

  it('OAuthTokenUpdateError keeps the new token reachable but out of logs and JSON', () => {
    const token = { access_token: 'NEW-TOKEN-VALUE', token_type: 'Bearer' };
    const err = new OAuthTokenUpdateError('updateToken failed.', token, new Error('db down'));
    expect(err.token).toBe(token);
    expect(Object.keys(err)).not.toContain('token');
    expect(JSON.stringify(err)).not.toContain('NEW-TOKEN-VALUE');
    expect(err.code).toBe('token_update_failed');
  });
});
