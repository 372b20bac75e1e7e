import type { OAuthClientConfig } from '../interfaces/oauth-client-config.interface.js';

type FieldKind = 'both' | 'oauth1' | 'oauth2' | 'code';
type FieldType = 'string' | 'url' | 'redirect' | 'params' | 'scope' | 'number' | 'boolean' | 'strings' | 'key' | 'function' | 'pkce' | 'hooks';

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
  idTokenSigningAlgs: { kind: 'oauth2', type: 'strings' },
  leeway: { kind: 'oauth2', type: 'number' },
  refreshLeeway: { kind: 'oauth2', type: 'number' },
  overwrite: { kind: 'both', type: 'boolean' },
  userAgent: { kind: 'both', type: 'string' },
  timeout: { kind: 'both', type: 'number' },
  fetchToken: { kind: 'code', type: 'function' },
  updateToken: { kind: 'code', type: 'function' },
  preset: { kind: 'both', type: 'string' },
  hooks: { kind: 'code', type: 'hooks' },
  fetchUserinfo: { kind: 'oauth2', type: 'boolean' },
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
};
