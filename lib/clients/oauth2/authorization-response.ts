import { OAuthProviderError, OAuthValidationError } from '../../errors/oauth.error.js';
import { safeText } from '../../errors/safe-text.js';
import { single, type CallbackParams } from '../protocol-client.js';
import type { OAuth2Endpoints } from './endpoints.js';
import { OAUTH_ERROR_CODE } from './token-response.js';

// A callback carrying tokens is an implicit or hybrid response this client never
// asked for; accepting it would skip the code exchange and its checks (RFC 9700 2.1.2).
const FORBIDDEN_CALLBACK_PARAMS = ['access_token', 'id_token', 'token'];

/** The `state` a callback names; nothing else in it is trusted until that state is found. */
export function callbackState(params: CallbackParams): string {
  const state = single(params, 'state');
  if (typeof state !== 'string' || state === '') {
    throw new OAuthValidationError('mismatching_state', 'The callback has no single "state"; it does not answer a login of this browser.');
  }
  return state;
}

/**
 * Checks an authorization response whose state was found (RFC 6749 section 4.1.2),
 * in the order that keeps attacks out: the issuer first (RFC 9207, against mix-up),
 * then the provider's own refusal, then the code. Returns the code.
 */
export function authorizationCode(params: CallbackParams, endpoints: OAuth2Endpoints): string {
  const iss = single(params, 'iss');
  if (iss === null) throw new OAuthValidationError('invalid_issuer', 'The callback repeats "iss".');
  if (iss !== undefined) {
    if (endpoints.issuer === undefined || iss !== endpoints.issuer) {
      throw new OAuthValidationError('invalid_issuer', 'The callback "iss" is not this client\'s issuer (RFC 9207); possible mix-up attack.');
    }
  } else if (endpoints.issParameterSupported) {
    throw new OAuthValidationError('invalid_issuer', 'The callback lacks "iss", which this provider always sends (RFC 9207).');
  }
  const error = single(params, 'error');
  if (error !== undefined) {
    if (typeof error !== 'string' || !OAUTH_ERROR_CODE.test(error)) {
      throw new OAuthValidationError('invalid_request', 'The callback "error" is repeated or not a valid OAuth error code.');
    }
    const description = single(params, 'error_description');
    throw new OAuthProviderError(error, `The provider refused the authorization: ${safeText(error, 128)}.`, {
      ...(typeof description === 'string' ? { description: safeText(description, 500) } : {}),
    });
  }
  for (const name of FORBIDDEN_CALLBACK_PARAMS) {
    if (params.has(name)) {
      throw new OAuthValidationError('invalid_request', `The callback carries "${name}"; only the authorization code flow is accepted.`);
    }
  }
  const code = single(params, 'code');
  if (typeof code !== 'string' || code === '') {
    throw new OAuthValidationError('invalid_request', 'The callback has no single "code".');
  }
  return code;
}
