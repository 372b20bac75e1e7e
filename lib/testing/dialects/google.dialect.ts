import { oauthError, scopedClaims, type MockDialect } from '../mock-dialect.js';

/**
 * Google: discovery at the origin; ID tokens name the issuer without its scheme (as
 * some of Google's do); a refresh token only with `access_type=offline`, and only at
 * the first consent or with `prompt=consent`; refresh tokens are not rotated.
 */
export const googleDialect: MockDialect = {
  name: 'google',
  openid: true,
  paths: {
    discovery: '/.well-known/openid-configuration',
    authorize: '/o/oauth2/v2/auth',
    token: '/token',
    jwks: '/oauth2/v3/certs',
    userinfo: '/v1/userinfo',
    revoke: '/revoke',
  },
  clientAuth: ['basic', 'post'],
  pkce: 'optional',
  rotateRefreshTokens: false,
  refreshIssued: (grant) =>
    grant.params.get('access_type') === 'offline' &&
    (grant.firstConsent || (grant.params.get('prompt') ?? '').split(' ').includes('consent')),
  idTokenIssuer: (issuer) => issuer.replace(/^https?:\/\//, ''),
  claims(grant, where) {
    const claims = scopedClaims(grant);
    return where === 'id_token' ? { ...claims, azp: grant.clientId } : claims;
  },
  authorizeError(params) {
    if (!params.get('scope')) return { error: 'invalid_request', description: 'Missing required parameter: scope', page: true };
    return undefined;
  },
  tokenError: oauthError,
  api: [
    {
      method: 'GET',
      path: '/oauth2/v3/userinfo',
      handle: ({ token }) => ({ status: 200, json: { ...scopedClaims(token.grant), sub: token.grant.identity.sub } }),
    },
  ],
};
