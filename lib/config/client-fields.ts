import type { OAuthClientConfig } from '../interfaces/oauth-client-config.interface.js';

type FieldKind = 'both' | 'oauth1' | 'oauth2' | 'code';
type FieldType = 'string' | 'url' | 'redirect' | 'params' | 'scope' | 'number' | 'boolean' | 'strings' | 'key' | 'function' | 'pkce' | 'hooks' | 'dpop';

interface FieldSpec {
  kind: FieldKind;
  type: FieldType;
  /** Allowed values, for enumerations. */
  values?: readonly string[];
}

/** Every field of `OAuthClientConfig`: which kinds of client accept it and its shape. */
export const CLIENT_FIELDS: Readonly<Record<keyof OAuthClientConfig, FieldSpec>> = {
  clientId: { kind: 'both', type: 'string' },
  clientSecret: { kind: 'both', type: 'string' },
  authorizeUrl: { kind: 'both', type: 'url' },
  authorizeParams: { kind: 'both', type: 'params' },
  accessTokenUrl: { kind: 'both', type: 'url' },
  accessTokenParams: { kind: 'both', type: 'params' },
  requestTokenUrl: { kind: 'oauth1', type: 'url' },
  requestTokenParams: { kind: 'oauth1', type: 'params' },
  signatureMethod: { kind: 'oauth1', type: 'string', values: ['HMAC-SHA1', 'HMAC-SHA256', 'RSA-SHA1', 'PLAINTEXT'] },
  signatureType: { kind: 'oauth1', type: 'string', values: ['header', 'query', 'body'] },
  realm: { kind: 'oauth1', type: 'string' },
  rsaKey: { kind: 'oauth1', type: 'string' },
  refreshTokenUrl: { kind: 'oauth2', type: 'url' },
  refreshTokenParams: { kind: 'oauth2', type: 'params' },
  serverMetadataUrl: { kind: 'oauth2', type: 'url' },
  issuer: { kind: 'oauth2', type: 'url' },
  jwksUrl: { kind: 'oauth2', type: 'url' },
  userinfoUrl: { kind: 'oauth2', type: 'url' },
  revocationUrl: { kind: 'oauth2', type: 'url' },
  introspectionUrl: { kind: 'oauth2', type: 'url' },
  scope: { kind: 'oauth2', type: 'scope' },
  redirectUri: { kind: 'both', type: 'redirect' },
  apiBaseUrl: { kind: 'both', type: 'url' },
  tokenEndpointAuthMethod: {
    kind: 'oauth2',
    type: 'string',
    values: ['client_secret_basic', 'client_secret_post', 'client_secret_jwt', 'private_key_jwt', 'none'],
  },
  clientKey: { kind: 'oauth2', type: 'key' },
  codeChallengeMethod: { kind: 'oauth2', type: 'pkce' },
  tokenPlacement: { kind: 'oauth2', type: 'string', values: ['header', 'uri', 'body'] },
  fetchUserinfo: { kind: 'oauth2', type: 'boolean' },
  pushedAuthorizationRequests: { kind: 'oauth2', type: 'boolean' },
  dpop: { kind: 'oauth2', type: 'dpop' },
  idTokenSigningAlgs: { kind: 'oauth2', type: 'strings' },
  leeway: { kind: 'oauth2', type: 'number' },
  refreshLeeway: { kind: 'oauth2', type: 'number' },
  overwrite: { kind: 'both', type: 'boolean' },
  userAgent: { kind: 'both', type: 'string' },
  timeout: { kind: 'both', type: 'number' },
  preset: { kind: 'both', type: 'string' },
  hooks: { kind: 'code', type: 'hooks' },
  fetchToken: { kind: 'code', type: 'function' },
  updateToken: { kind: 'code', type: 'function' },
};

export type ClientField = keyof OAuthClientConfig;

export function isClientField(name: string): name is ClientField {
  return Object.prototype.hasOwnProperty.call(CLIENT_FIELDS, name);
}

/** `clientSecret` -> `CLIENT_SECRET`, for `OAUTH_<NAME>_<FIELD>` keys. */
export function screamingSnake(field: string): string {
  return field.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}

/** `request_token_url` -> `requestTokenUrl`. */
export function camelCase(snake: string): string {
  return snake.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

/**
 * Authlib's setting names that are not plain snake_case of ours, including the
 * members of `client_kwargs` it hands to its HTTP session.
 */
export const AUTHLIB_ALIASES: Readonly<Record<string, ClientField>> = {
  jwks_uri: 'jwksUrl',
  userinfo_endpoint: 'userinfoUrl',
  revocation_endpoint: 'revocationUrl',
  introspection_endpoint: 'introspectionUrl',
  token_endpoint_auth_method: 'tokenEndpointAuthMethod',
  code_challenge_method: 'codeChallengeMethod',
  signature_method: 'signatureMethod',
  signature_type: 'signatureType',
  rsa_key: 'rsaKey',
  redirect_uri: 'redirectUri',
  user_agent: 'userAgent',
  id_token_signing_alg_values_supported: 'idTokenSigningAlgs',
  token_placement: 'tokenPlacement',
};

/**
 * Authlib settings read here under another meaning or unit: `leeway` in
 * `client_kwargs` is the token-expiry leeway (Authlib's OAuth2Session), and
 * `default_timeout` / `timeout` are seconds.
 */
export const AUTHLIB_KWARGS: Readonly<Record<string, ClientField>> = {
  leeway: 'refreshLeeway',
  default_timeout: 'timeout',
  timeout: 'timeout',
};

/** Authlib settings with no meaning here, and why: named at bootstrap instead of ignored. */
export const AUTHLIB_WITHOUT_MEANING: Readonly<Record<string, string>> = {
  compliance_fix: 'compliance fixes are functions: give them as "hooks" on the client in code',
  client_auth_methods: 'custom client authentication classes do not exist here; use tokenEndpointAuthMethod',
  verify: 'TLS certificates are always verified; add a CA with NODE_EXTRA_CA_CERTS',
  proxies: 'give a proxying fetch through the module option "fetch"',
  trust_env: 'give a proxying fetch through the module option "fetch"',
  cert: 'client certificates (mTLS) are not supported; give a fetch with an agent through the module option "fetch"',
  state: 'state is always generated from 256 random bits and cannot be fixed',
  code_verifier: 'the PKCE verifier is always generated per login',
  nonce: 'the nonce is always generated per login',
  force_include_body: 'form bodies are always signed (RFC 5849 3.4.1.3.1) and other bodies never are',
  verifier: 'the OAuth 1 verifier comes from the callback',
  token: 'tokens are given per call ({ token }) or by fetchToken',
  token_endpoint: 'use accessTokenUrl (access_token_url)',
  revocation_endpoint_auth_method: 'the same tokenEndpointAuthMethod is used for every endpoint',
  fetch_token: 'fetchToken is a function: give it in code',
  update_token: 'updateToken is a function: give it in code',
};
