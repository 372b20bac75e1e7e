import { createHash } from 'node:crypto';
import { MICROSOFT_CONSUMERS_TENANT } from '../../presets/microsoft.preset.js';
import { oauthError, scopedClaims, type MockDialect, type MockGrant } from '../mock-dialect.js';

/** The tenant of work accounts when the identity names none. */
export const MOCK_ORGANIZATION_TENANT = '11111111-2222-3333-4444-555555555555';
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TENANT = '([^/]+)';

/** The user's object id: the identity's `oid`, else a GUID derived from `sub`. */
function objectId(grant: MockGrant): string {
  if (typeof grant.identity.oid === 'string') return grant.identity.oid;
  const h = createHash('sha256').update(grant.identity.sub).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

function pathTenant(path: string): string {
  return /^\/([^/]+)\//.exec(path)?.[1] ?? 'common';
}

/** The tenant of the user who logs in: the identity's `tid`, else one fitting the authorize path. */
function userTenant(grant: MockGrant): string {
  if (typeof grant.identity.tid === 'string') return grant.identity.tid.toLowerCase();
  const tenant = pathTenant(grant.authorizePath);
  if (tenant === 'consumers') return MICROSOFT_CONSUMERS_TENANT;
  return GUID.test(tenant) ? tenant.toLowerCase() : MOCK_ORGANIZATION_TENANT;
}

/**
 * Microsoft Entra ID (v2.0): endpoints under the tenant in the path; the
 * `common`/`organizations` discovery documents name the issuer
 * `…/{tenantid}/v2.0`, while each ID token's `iss` carries the user's own `tid`;
 * `consumers` names the personal-account tenant; refresh tokens with
 * `offline_access`, rotated.
 */
export const microsoftDialect: MockDialect = {
  name: 'microsoft',
  openid: true,
  paths: {
    discovery: new RegExp(`^/${TENANT}/v2\\.0/\\.well-known/openid-configuration$`),
    authorize: new RegExp(`^/${TENANT}/oauth2/v2\\.0/authorize$`),
    token: new RegExp(`^/${TENANT}/oauth2/v2\\.0/token$`),
    jwks: new RegExp(`^/${TENANT}/discovery/v2\\.0/keys$`),
    userinfo: '/oidc/userinfo',
    endSession: new RegExp(`^/${TENANT}/oauth2/v2\\.0/logout$`),
  },
  discovery(doc, path, mock) {
    const tenant = pathTenant(path);
    const issuerTenant =
      tenant === 'common' || tenant === 'organizations' ? '{tenantid}' : tenant === 'consumers' ? MICROSOFT_CONSUMERS_TENANT : tenant;
    const base = `${mock.origin}/${tenant}`;
    return {
      ...doc,
      issuer: `${mock.origin}/${issuerTenant}/v2.0`,
      authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
      token_endpoint: `${base}/oauth2/v2.0/token`,
      jwks_uri: `${base}/discovery/v2.0/keys`,
      end_session_endpoint: `${base}/oauth2/v2.0/logout`,
      userinfo_endpoint: `${mock.origin}/oidc/userinfo`,
      tenant_region_scope: 'EU',
    };
  },
  clientAuth: ['basic', 'post'],
  pkce: 'optional',
  rotateRefreshTokens: true,
  refreshIssued: (grant) => grant.scope.includes('offline_access'),
  idTokenIssuer: (_issuer, grant) => `${new URL(_issuer).origin}/${userTenant(grant)}/v2.0`,
  authorizeError(_params, _client, path) {
    const tenant = pathTenant(path);
    if (!['common', 'organizations', 'consumers'].includes(tenant) && !GUID.test(tenant)) {
      return { error: 'invalid_request', description: `AADSTS90002: Tenant '${tenant}' not found.`, page: true };
    }
    return undefined;
  },
  claims(grant, where) {
    const c = scopedClaims(grant);
    const tid = userTenant(grant);
    const out: Record<string, unknown> = { ...c, tid, oid: objectId(grant) };
    if (where === 'id_token') out.ver = '2.0';
    return out;
  },
  tokenError: oauthError,
  api: [
    {
      method: 'GET',
      path: '/v1.0/me',
      handle: ({ token }) => {
        const c = token.grant.identity;
        return {
          status: 200,
          json: {
            '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#users/$entity',
            id: objectId(token.grant),
            displayName: c.name ?? null,
            givenName: c.given_name ?? null,
            surname: c.family_name ?? null,
            mail: c.email ?? null,
            userPrincipalName: c.preferred_username ?? c.email ?? c.sub,
          },
        };
      },
    },
  ],
};
