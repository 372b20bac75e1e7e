import { oauthError, type MockDialect } from '../mock-dialect.js';

/** An OpenID provider under an issuer path, with the endpoint names of its product. */
export function standardOidcDialect(
  name: 'okta' | 'auth0' | 'keycloak',
  issuerPath: string,
  endpoints: { authorize: string; token: string; jwks: string; userinfo: string; revoke: string; endSession?: string },
  extras: Partial<MockDialect> = {},
): MockDialect {
  const at = (p: string) => `${issuerPath.replace(/\/$/, '')}${p}`;
  return {
    name,
    openid: true,
    issuerPath,
    paths: {
      discovery: at('/.well-known/openid-configuration'),
      authorize: at(endpoints.authorize),
      token: at(endpoints.token),
      jwks: at(endpoints.jwks),
      userinfo: at(endpoints.userinfo),
      revoke: at(endpoints.revoke),
      ...(endpoints.endSession === undefined ? {} : { endSession: at(endpoints.endSession) }),
    },
    clientAuth: ['basic', 'post'],
    pkce: 'optional',
    rotateRefreshTokens: true,
    refreshIssued: (grant) => grant.scope.includes('offline_access'),
    tokenError: oauthError,
    api: [],
    ...extras,
  };
}
