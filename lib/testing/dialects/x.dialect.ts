import type { MockDialect } from '../mock-dialect.js';

/**
 * X (OAuth 2.0): PKCE required at authorization; a confidential client must send
 * Basic auth *and* `client_id` in the body (401 "Missing valid authorization header"
 * without Basic; 400 without the body `client_id`); a refresh token only with
 * `offline.access`, rotated at each use; the profile is `2/users/me` wrapped in `data`.
 */
export const xDialect: MockDialect = {
  name: 'x',
  openid: false,
  paths: { authorize: '/i/oauth2/authorize', token: '/2/oauth2/token', revoke: '/2/oauth2/revoke' },
  clientAuth: ['basic'],
  clientIdInBody: true,
  pkce: 'required',
  rotateRefreshTokens: true,
  refreshIssued: (grant) => grant.scope.includes('offline.access'),
  tokenAnswer(body) {
    return { status: 200, json: { ...body, token_type: 'bearer' } };
  },
  tokenError(status, error, description) {
    if (error === 'invalid_client') return { status: 401, json: { error: 'unauthorized_client', error_description: description } };
    return { status, json: { error, error_description: description } };
  },
  api: [
    {
      method: 'GET',
      path: '/2/users/me',
      handle({ token, url }) {
        if (!token.grant.scope.includes('users.read')) {
          return { status: 403, json: { title: 'Forbidden', detail: 'Missing scope users.read', type: 'https://api.twitter.com/2/problems/client-forbidden' } };
        }
        const c = token.grant.identity;
        const fields = (url.searchParams.get('user.fields') ?? '').split(',');
        const user: Record<string, unknown> = {
          id: c.sub,
          name: c.name ?? c.sub,
          username: typeof c.preferred_username === 'string' ? c.preferred_username : c.sub,
        };
        if (fields.includes('profile_image_url')) {
          user.profile_image_url = typeof c.picture === 'string' ? c.picture : `https://pbs.twimg.com/profile_images/${c.sub}/avatar_normal.jpg`;
        }
        if (fields.includes('verified')) user.verified = false;
        if (fields.includes('created_at')) user.created_at = '2013-12-14T04:35:55.000Z';
        return { status: 200, json: { data: { ...user, ...token.grant.raw } } };
      },
    },
  ],
};
