import { scopedClaims } from '../mock-dialect.js';
import { standardOidcDialect } from './standard-oidc.js';

/**
 * Auth0: the issuer ends with a slash (`https://<domain>/`), no end-session endpoint
 * in discovery (unless the tenant turns it on), `nickname` among the profile claims.
 */
export const auth0Dialect = standardOidcDialect(
  'auth0',
  '/',
  { authorize: '/authorize', token: '/oauth/token', jwks: '/.well-known/jwks.json', userinfo: '/userinfo', revoke: '/oauth/revoke' },
  {
    presetOptions: () => ({ domain: 'example.auth0.com' }),
    claims: (grant) => {
      // Auth0 names the handle `nickname`; preferred_username is not among its claims.
      const c = scopedClaims(grant);
      const nick = c.preferred_username;
      delete c.preferred_username;
      return nick === undefined ? c : { nickname: nick, ...c };
    },
  },
);
