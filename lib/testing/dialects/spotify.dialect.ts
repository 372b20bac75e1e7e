import { oauthError, type MockDialect } from '../mock-dialect.js';

/** Spotify: `api/token` (Basic or body), refresh tokens kept (not rotated), `v1/me`. */
export const spotifyDialect: MockDialect = {
  name: 'spotify',
  openid: false,
  paths: { authorize: '/authorize', token: '/api/token' },
  clientAuth: ['basic', 'post'],
  pkce: 'optional',
  rotateRefreshTokens: false,
  refreshIssued: () => true,
  tokenError: oauthError,
  api: [
    {
      method: 'GET',
      path: '/v1/me',
      handle({ token }) {
        const c = token.grant.identity;
        const user: Record<string, unknown> = {
          country: 'SE',
          display_name: c.name ?? null,
          explicit_content: { filter_enabled: false, filter_locked: false },
          external_urls: { spotify: `https://open.spotify.com/user/${c.sub}` },
          followers: { href: null, total: 0 },
          href: `https://api.spotify.com/v1/users/${c.sub}`,
          id: c.sub,
          images: typeof c.picture === 'string' ? [{ url: c.picture, height: 300, width: 300 }] : [],
          product: 'premium',
          type: 'user',
          uri: `spotify:user:${c.sub}`,
        };
        if (token.grant.scope.includes('user-read-email') && typeof c.email === 'string') user.email = c.email;
        return { status: 200, json: { ...user, ...token.grant.raw } };
      },
    },
  ],
};
