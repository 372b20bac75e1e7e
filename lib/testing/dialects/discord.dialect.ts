import { oauthError, type MockDialect } from '../mock-dialect.js';

/**
 * Discord: tokens at `api/oauth2/token` (Basic or body), refresh tokens rotated;
 * `api/users/@me` answers the user with an avatar hash, `global_name` and `verified`.
 */
export const discordDialect: MockDialect = {
  name: 'discord',
  openid: false,
  paths: { authorize: '/oauth2/authorize', token: '/api/oauth2/token', revoke: '/api/oauth2/token/revoke' },
  clientAuth: ['basic', 'post'],
  pkce: 'optional',
  rotateRefreshTokens: true,
  refreshIssued: () => true,
  tokenError: oauthError,
  api: [
    {
      method: 'GET',
      path: '/api/users/@me',
      handle({ token }) {
        if (!token.grant.scope.includes('identify')) return { status: 401, json: { message: '401: Unauthorized', code: 0 } };
        const c = token.grant.identity;
        const user: Record<string, unknown> = {
          id: c.sub,
          username: typeof c.preferred_username === 'string' ? c.preferred_username : c.sub,
          avatar: null,
          discriminator: '0',
          public_flags: 0,
          flags: 0,
          banner: null,
          accent_color: null,
          global_name: c.name ?? null,
          mfa_enabled: false,
          locale: 'en-US',
          premium_type: 0,
        };
        if (token.grant.scope.includes('email')) {
          user.email = c.email ?? null;
          user.verified = c.email_verified !== false;
        }
        return { status: 200, json: { ...user, ...token.grant.raw } };
      },
    },
  ],
};
