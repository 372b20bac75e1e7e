import { oauthError, scopedClaims, type MockDialect } from '../mock-dialect.js';

/**
 * LinkedIn (OpenID Connect): issuer `…/oauth`; the secret in the body only (Basic is
 * `invalid_client`); a `code_verifier` from a web app is `invalid_client`; ID tokens
 * without `nonce`; no refresh tokens for ordinary apps; userinfo at `v2/userinfo`.
 */
export const linkedinDialect: MockDialect = {
  name: 'linkedin',
  openid: true,
  issuerPath: '/oauth',
  paths: {
    discovery: '/oauth/.well-known/openid-configuration',
    authorize: '/oauth/v2/authorization',
    token: '/oauth/v2/accessToken',
    jwks: '/oauth/openid/jwks',
    userinfo: '/v2/userinfo',
  },
  clientAuth: ['post'],
  pkce: 'refused',
  omitsNonce: true,
  rotateRefreshTokens: false,
  refreshIssued: () => false,
  claims: (grant) => ({ locale: 'en_US', ...scopedClaims(grant) }),
  tokenError: oauthError,
  api: [],
};
