import { standardOidcDialect } from './standard-oidc.js';

/** Okta: an authorization server under `/oauth2/default`, `v1/*` endpoints, refresh with `offline_access`. */
export const oktaDialect = standardOidcDialect(
  'okta',
  '/oauth2/default',
  { authorize: '/v1/authorize', token: '/v1/token', jwks: '/v1/keys', userinfo: '/v1/userinfo', revoke: '/v1/revoke', endSession: '/v1/logout' },
  { presetOptions: () => ({ issuer: 'https://example.okta.com/oauth2/default' }) },
);
