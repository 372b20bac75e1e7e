import { standardOidcDialect } from './standard-oidc.js';

/** Keycloak: a realm under `/realms/<name>`, `protocol/openid-connect/*`, refresh tokens always. */
export const keycloakDialect = standardOidcDialect(
  'keycloak',
  '/realms/demo',
  {
    authorize: '/protocol/openid-connect/auth',
    token: '/protocol/openid-connect/token',
    jwks: '/protocol/openid-connect/certs',
    userinfo: '/protocol/openid-connect/userinfo',
    revoke: '/protocol/openid-connect/revoke',
    endSession: '/protocol/openid-connect/logout',
  },
  { presetOptions: () => ({ issuer: 'https://keycloak.example.com/realms/demo' }), refreshIssued: () => true },
);
