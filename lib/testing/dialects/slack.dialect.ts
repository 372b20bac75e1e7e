import type { MockDialect, MockGrant } from '../mock-dialect.js';

const NS = 'https://slack.com/';
const ERRORS: Record<string, string> = { invalid_grant: 'invalid_code', invalid_client: 'bad_client_secret' };

function slackClaims(grant: MockGrant): Record<string, unknown> {
  const c = grant.identity;
  const team = typeof c.team_id === 'string' ? c.team_id : 'T0MOCKTEAM';
  const out: Record<string, unknown> = { [`${NS}user_id`]: c.sub, [`${NS}team_id`]: team };
  if (grant.scope.includes('email') && typeof c.email === 'string') {
    out.email = c.email;
    out.email_verified = c.email_verified !== false;
    out.date_email_verified = 1_700_000_000;
  }
  if (grant.scope.includes('profile')) {
    if (typeof c.name === 'string') out.name = c.name;
    if (typeof c.given_name === 'string') out.given_name = c.given_name;
    if (typeof c.family_name === 'string') out.family_name = c.family_name;
    out.locale = 'en-US';
    out[`${NS}team_name`] = 'Mock Team';
    out[`${NS}team_domain`] = 'mockteam';
    for (const size of [24, 32, 48, 72, 192, 512]) out[`${NS}user_image_${size}`] = `https://secure.gravatar.com/avatar/${c.sub}.jpg?s=${size}`;
  }
  return { ...out, ...grant.raw };
}

/**
 * Sign in with Slack (OpenID Connect): `api/openid.connect.token` answers
 * `{"ok": true, …}` and every failure as HTTP 200 `{"ok": false, "error": …}`; the
 * claims are namespaced under `https://slack.com/` and carry no `picture` (the
 * images are `…/user_image_<size>`); no refresh tokens unless rotation is on.
 */
export const slackDialect: MockDialect = {
  name: 'slack',
  openid: true,
  paths: {
    discovery: '/.well-known/openid-configuration',
    authorize: '/openid/connect/authorize',
    token: '/api/openid.connect.token',
    jwks: '/openid/connect/keys',
    userinfo: '/api/openid.connect.userInfo',
  },
  clientAuth: ['basic', 'post'],
  pkce: 'optional',
  rotateRefreshTokens: false,
  refreshIssued: () => false,
  claims: slackClaims,
  tokenAnswer(body) {
    return { status: 200, json: { ok: true, ...body } };
  },
  tokenError(_status, error) {
    return { status: 200, json: { ok: false, error: ERRORS[error] ?? error } };
  },
  api: [],
};
