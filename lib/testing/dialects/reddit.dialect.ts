import type { MockDialect } from '../mock-dialect.js';

/**
 * Reddit: every request without a User-Agent gets 429; the client authenticates with
 * Basic only (anything else: 401 `{"message": "Unauthorized", "error": 401}`); the
 * authorization request needs `duration`, and only `permanent` gets a refresh token;
 * a bad code is HTTP 200 `{"error": "invalid_grant"}`; `api/v1/me` HTML-escapes
 * its image URLs.
 */
export const redditDialect: MockDialect = {
  name: 'reddit',
  openid: false,
  paths: { authorize: '/api/v1/authorize', token: '/api/v1/access_token', revoke: '/api/v1/revoke_token' },
  clientAuth: ['basic'],
  pkce: 'optional',
  userAgent: { status: 429, text: 'Too Many Requests' },
  rotateRefreshTokens: false,
  refreshIssued: (grant) => grant.params.get('duration') === 'permanent',
  authorizeError(params) {
    const duration = params.get('duration');
    if (duration !== 'permanent' && duration !== 'temporary') {
      return { error: 'invalid_request', description: 'duration must be temporary or permanent', page: true };
    }
    return undefined;
  },
  tokenAnswer(body) {
    return { status: 200, json: { ...body, token_type: 'bearer' } };
  },
  tokenError(_status, error, description) {
    if (error === 'invalid_client') return { status: 401, json: { message: 'Unauthorized', error: 401 } };
    return { status: 200, json: { error, error_description: description } };
  },
  api: [
    {
      method: 'GET',
      path: '/api/v1/me',
      handle({ token }) {
        if (!token.grant.scope.includes('identity')) return { status: 403, json: { message: 'Forbidden', error: 403 } };
        const c = token.grant.identity;
        const name = typeof c.preferred_username === 'string' ? c.preferred_username : c.sub;
        return {
          status: 200,
          json: {
            id: c.sub,
            name,
            icon_img: typeof c.picture === 'string' ? c.picture.replace(/&/g, '&amp;') : `https://styles.redditmedia.com/t5_${c.sub}/styles/profileIcon_mock.png?width=256&amp;height=256&amp;crop=256:256,smart`,
            has_verified_email: c.email_verified === true,
            verified: true,
            created: 1_500_000_000,
            created_utc: 1_500_000_000,
            total_karma: 1,
            snoovatar_img: '',
            ...token.grant.raw,
          },
        };
      },
    },
  ],
};
