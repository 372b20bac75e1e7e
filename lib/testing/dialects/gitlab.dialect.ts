import { numericId, oauthError, type MockDialect } from '../mock-dialect.js';

/** GitLab: `oauth/*` endpoints, refresh tokens rotated, `api/v4/user` with `read_user`. */
export const gitlabDialect: MockDialect = {
  name: 'gitlab',
  openid: false,
  paths: { authorize: '/oauth/authorize', token: '/oauth/token', revoke: '/oauth/revoke' },
  clientAuth: ['basic', 'post'],
  pkce: 'optional',
  rotateRefreshTokens: true,
  refreshIssued: () => true,
  tokenAnswer(body) {
    return { status: 200, json: { ...body, created_at: Math.floor(Date.now() / 1000) } };
  },
  tokenError: oauthError,
  api: [
    {
      method: 'GET',
      path: '/api/v4/user',
      handle({ token }) {
        const scope = token.grant.scope;
        if (!scope.includes('read_user') && !scope.includes('api')) {
          return { status: 403, json: { error: 'insufficient_scope', error_description: 'The request requires higher privileges than provided by the access token.', scope: 'api read_user' } };
        }
        const c = token.grant.identity;
        const username = typeof c.preferred_username === 'string' ? c.preferred_username : c.sub;
        return {
          status: 200,
          json: {
            id: numericId(c.sub),
            username,
            name: c.name ?? username,
            state: 'active',
            locked: false,
            avatar_url: typeof c.picture === 'string' ? c.picture : `https://secure.gravatar.com/avatar/${c.sub}?s=80&d=identicon`,
            web_url: `https://gitlab.com/${username}`,
            created_at: '2020-05-01T10:00:00.000Z',
            bio: '',
            public_email: null,
            email: c.email ?? null,
            confirmed_at: '2020-05-01T10:05:00.000Z',
            two_factor_enabled: false,
            ...token.grant.raw,
          },
        };
      },
    },
  ],
};
