import { numericId, type MockApiCall, type MockDialect, type MockGrant } from '../mock-dialect.js';
import type { MockReply, MockRequest } from '../mock-http.js';

/** GitHub Apps' client ids start with `Iv`; only they get expiring tokens and refresh tokens. */
const isGitHubApp = (clientId: string) => clientId.startsWith('Iv');

/** Form-encoded unless the request asked for JSON, as GitHub answers its token endpoint. */
function answer(request: MockRequest | undefined, fields: Record<string, unknown>): MockReply {
  const json = (request?.headers.accept ?? '').toLowerCase().includes('application/json');
  if (json) return { status: 200, json: fields };
  const form: Record<string, string> = {};
  for (const [k, v] of Object.entries(fields)) form[k] = String(v);
  return { status: 200, form };
}

const ERROR_NAMES: Record<string, string> = {
  invalid_client: 'incorrect_client_credentials',
  invalid_grant: 'bad_verification_code',
};

/** GitHub's /user, rendered from OpenID claims (raw overrides laid over it). */
export function githubUser(grant: MockGrant): Record<string, unknown> {
  const c = grant.identity;
  const login = typeof c.preferred_username === 'string' ? c.preferred_username : c.sub;
  const id = numericId(c.sub);
  return {
    login,
    id,
    node_id: `U_${Buffer.from(String(id)).toString('base64url')}`,
    avatar_url: typeof c.picture === 'string' ? c.picture : `https://avatars.githubusercontent.com/u/${id}?v=4`,
    html_url: `https://github.com/${login}`,
    type: 'User',
    site_admin: false,
    name: c.name ?? null,
    company: null,
    blog: '',
    location: null,
    email: c.email ?? null,
    bio: null,
    public_repos: 0,
    followers: 0,
    following: 0,
    created_at: '2011-01-25T18:44:36Z',
    updated_at: '2024-01-01T00:00:00Z',
    ...grant.raw,
  };
}

function emails({ token }: MockApiCall): MockReply {
  const scope = token.grant.scope;
  // Without user:email (or user) GitHub answers 404, not 403.
  if (!scope.includes('user:email') && !scope.includes('user')) {
    return { status: 404, json: { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' } };
  }
  const c = token.grant.identity;
  const list = typeof c.email === 'string'
    ? [{ email: c.email, primary: true, verified: c.email_verified !== false, visibility: githubUser(token.grant).email ? 'public' : 'private' }]
    : [];
  list.push({ email: `${c.sub}+${String(githubUser(token.grant).login)}@users.noreply.github.com`, primary: false, verified: true, visibility: 'private' });
  return { status: 200, json: list };
}

/**
 * GitHub: form-encoded token answers unless JSON is asked for, every failure as HTTP
 * 200 with an `error` body, a User-Agent required everywhere (403 without), scopes
 * listed comma-separated, refresh tokens only for GitHub Apps' expiring tokens.
 */
export const githubDialect: MockDialect = {
  name: 'github',
  openid: false,
  defaultClientId: 'Iv1.mockgithubapp00',
  paths: { authorize: '/login/oauth/authorize', token: '/login/oauth/access_token' },
  clientAuth: ['basic', 'post'],
  pkce: 'optional',
  userAgent: {
    status: 403,
    text: 'Request forbidden by administrative rules. Please make sure your request has a User-Agent header (https://docs.github.com/en/rest/overview/resources-in-the-rest-api#user-agent-required). Check https://developer.github.com for other possible causes.',
  },
  rotateRefreshTokens: true,
  refreshIssued: (grant) => isGitHubApp(grant.clientId),
  tokenAnswer(body, grant, request) {
    const fields: Record<string, unknown> = {
      access_token: body.access_token,
      token_type: 'bearer',
      scope: grant.scope.join(','),
    };
    if (isGitHubApp(grant.clientId)) {
      fields.expires_in = 28800;
      if (body.refresh_token !== undefined) {
        fields.refresh_token = body.refresh_token;
        fields.refresh_token_expires_in = 15897600;
      }
    }
    return answer(request, fields);
  },
  tokenError(_status, error, description, request) {
    const name = error === 'invalid_grant' && description.includes('redirect_uri') ? 'redirect_uri_mismatch' : (ERROR_NAMES[error] ?? error);
    return answer(request, { error: name, error_description: description, error_uri: `https://docs.github.com/apps/troubleshooting#${name}` });
  },
  api: [
    { method: 'GET', path: '/user', handle: ({ token }) => ({ status: 200, json: githubUser(token.grant) }) },
    { method: 'GET', path: '/user/emails', handle: emails },
  ],
};
