import { oauthError, scopedClaims, type MockDialect } from '../mock-dialect.js';

/**
 * A generic OpenID provider: discovery at the origin, Basic or body client
 * authentication, PKCE when asked, RFC 9207 `iss` in the callback, refresh tokens
 * with `offline_access` (rotated), and `api/me` answering the user's claims.
 */
export const oidcDialect: MockDialect = {
  name: 'oidc',
  openid: true,
  paths: {
    discovery: '/.well-known/openid-configuration',
    authorize: '/authorize',
    token: '/token',
    jwks: '/jwks',
    userinfo: '/userinfo',
    revoke: '/revoke',
    endSession: '/logout',
  },
  clientAuth: ['basic', 'post'],
  pkce: 'optional',
  rotateRefreshTokens: true,
  issParameter: true,
  refreshIssued: (grant) => grant.scope.includes('offline_access'),
  tokenError: oauthError,
  api: [
    {
      method: 'GET',
      path: '/api/me',
      handle: ({ token }) => ({ status: 200, json: { ...scopedClaims(token.grant), sub: token.grant.identity.sub } }),
    },
  ],
};
