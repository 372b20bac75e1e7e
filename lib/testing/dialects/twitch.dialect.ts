import type { MockDialect, MockGrant } from '../mock-dialect.js';
import type { MockReply } from '../mock-http.js';

const OPTIONAL_CLAIMS = ['email', 'email_verified', 'picture', 'preferred_username', 'updated_at'];

/** The optional claims the `claims` parameter asked for, for the ID token or userinfo. */
function requested(grant: MockGrant, where: 'id_token' | 'userinfo'): string[] {
  try {
    const parsed = JSON.parse(grant.params.get('claims') ?? '{}') as Record<string, unknown>;
    const member = parsed[where];
    return member !== null && typeof member === 'object' ? Object.keys(member) : [];
  } catch {
    return [];
  }
}

function login(grant: MockGrant): string {
  return typeof grant.identity.preferred_username === 'string' ? grant.identity.preferred_username : grant.identity.sub;
}

function twitchError(status: number, message: string): MockReply {
  return { status, json: { status, message } };
}

/**
 * Twitch (OpenID Connect, issuer `…/oauth2`): the secret in the body only; token
 * answers with `scope` as a JSON array; errors as `{"status", "message"}`; optional
 * claims (email, picture, preferred_username) only when the `claims` parameter asks;
 * Helix calls refused without a `Client-Id` header matching the token's client.
 */
export const twitchDialect: MockDialect = {
  name: 'twitch',
  openid: true,
  issuerPath: '/oauth2',
  paths: {
    discovery: '/oauth2/.well-known/openid-configuration',
    authorize: '/oauth2/authorize',
    token: '/oauth2/token',
    jwks: '/oauth2/keys',
    userinfo: '/oauth2/userinfo',
    revoke: '/oauth2/revoke',
  },
  clientAuth: ['post'],
  pkce: 'optional',
  rotateRefreshTokens: true,
  refreshIssued: () => true,
  claims(grant, where) {
    const c = grant.identity;
    const asked = requested(grant, where);
    const out: Record<string, unknown> = where === 'id_token' ? { azp: grant.clientId } : {};
    for (const name of OPTIONAL_CLAIMS) {
      if (!asked.includes(name)) continue;
      if ((name === 'email' || name === 'email_verified') && !grant.scope.includes('user:read:email')) continue;
      const value =
        name === 'preferred_username' ? login(grant)
        : name === 'email_verified' ? c.email_verified !== false
        : name === 'updated_at' ? '2024-01-01T00:00:00Z'
        : name === 'picture' ? (c.picture ?? `https://static-cdn.jtvnw.net/jtv_user_pictures/${c.sub}-profile_image-150x150.png`)
        : c[name];
      if (value !== undefined) out[name] = value;
    }
    return out;
  },
  tokenAnswer(body, grant) {
    return { status: 200, json: { ...body, scope: grant.scope, token_type: 'bearer' } };
  },
  tokenError(status, error, description) {
    if (error === 'invalid_client') {
      return /basic|missing/i.test(description) ? twitchError(400, 'missing client secret') : twitchError(403, 'invalid client secret');
    }
    if (error === 'invalid_grant') return twitchError(400, /refresh/i.test(description) ? 'Invalid refresh token' : 'Invalid authorization code');
    return twitchError(status, description);
  },
  api: [
    {
      method: 'GET',
      path: '/helix/users',
      handle({ request, token }) {
        const clientId = request.headers['client-id'];
        if (!clientId) return { status: 401, json: { error: 'Unauthorized', status: 401, message: 'Client-Id header required' } };
        if (clientId !== token.grant.clientId) {
          return { status: 401, json: { error: 'Unauthorized', status: 401, message: 'Client ID and OAuth token do not match' } };
        }
        const c = token.grant.identity;
        const user: Record<string, unknown> = {
          id: c.sub,
          login: login(token.grant).toLowerCase(),
          display_name: c.name ?? login(token.grant),
          type: '',
          broadcaster_type: '',
          description: '',
          profile_image_url: c.picture ?? `https://static-cdn.jtvnw.net/jtv_user_pictures/${c.sub}-profile_image-300x300.png`,
          offline_image_url: '',
          view_count: 0,
          created_at: '2016-12-14T20:32:28Z',
        };
        if (token.grant.scope.includes('user:read:email') && typeof c.email === 'string') user.email = c.email;
        return { status: 200, json: { data: [user] } };
      },
    },
    {
      method: 'GET',
      path: '/oauth2/validate',
      handle: ({ token }) => ({
        status: 200,
        json: {
          client_id: token.grant.clientId,
          login: login(token.grant).toLowerCase(),
          scopes: token.grant.scope,
          user_id: token.grant.identity.sub,
          expires_in: Math.max(0, Math.floor(token.expiresAt - Date.now() / 1000)),
        },
      }),
    },
  ],
};
