import { oauthError, type MockApiCall, type MockDialect } from '../mock-dialect.js';
import type { MockReply } from '../mock-http.js';

const ENDPOINT = 'users/get_current_account';

function apiError(text: string): MockReply {
  return { status: 400, text: `Error in call to API function "${ENDPOINT}": ${text}` };
}

function currentAccount({ request, token }: MockApiCall): MockReply {
  // Dropbox's RPC endpoints take POST with a JSON body; this one has no arguments, so
  // the body is empty (no Content-Type) or the JSON `null`.
  if (request.method !== 'POST') return apiError(`Your request includes a "${request.method}" method but this endpoint expects "POST".`);
  const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === '' && request.body !== '') return apiError('Bad HTTP "Content-Type" header: "". Expecting one of "application/json", "application/json; charset=utf-8", "text/plain; charset=dropbox-cors-hack".');
  if (type !== '' && type !== 'application/json') {
    return apiError(`Bad HTTP "Content-Type" header: "${type}". Expecting one of "application/json", "application/json; charset=utf-8", "text/plain; charset=dropbox-cors-hack".`);
  }
  if (type === 'application/json' && request.body.trim() !== 'null') return apiError('request body: could not decode input as JSON');
  const c = token.grant.identity;
  const parts = typeof c.name === 'string' ? c.name.split(' ') : [];
  const given = typeof c.given_name === 'string' ? c.given_name : (parts[0] ?? '');
  const surname = typeof c.family_name === 'string' ? c.family_name : parts.slice(1).join(' ');
  const account: Record<string, unknown> = {
    account_id: c.sub,
    name: {
      given_name: given,
      surname,
      familiar_name: given,
      display_name: typeof c.name === 'string' ? c.name : `${given} ${surname}`.trim(),
      abbreviated_name: `${given.charAt(0)}${surname.charAt(0)}`,
    },
    email: c.email,
    email_verified: c.email_verified !== false,
    disabled: false,
    country: 'US',
    locale: 'en',
    referral_link: `https://www.dropbox.com/referrals/mock${c.sub.length}`,
    is_paired: false,
    account_type: { '.tag': 'basic' },
    root_info: { '.tag': 'user', root_namespace_id: '3235641', home_namespace_id: '3235641' },
  };
  if (typeof c.picture === 'string') account.profile_photo_url = c.picture;
  return { status: 200, json: { ...account, ...token.grant.raw } };
}

/**
 * Dropbox: a refresh token only with `token_access_type=offline`, not rotated; the
 * token answer carries `uid` and `account_id`; `2/users/get_current_account` is a
 * POST with no body (a form or empty JSON body is refused).
 */
export const dropboxDialect: MockDialect = {
  name: 'dropbox',
  openid: false,
  paths: { authorize: '/oauth2/authorize', token: '/oauth2/token' },
  clientAuth: ['basic', 'post'],
  pkce: 'optional',
  rotateRefreshTokens: false,
  refreshIssued: (grant) => grant.params.get('token_access_type') === 'offline',
  tokenAnswer(body, grant) {
    return { status: 200, json: { ...body, token_type: 'bearer', uid: '12345', account_id: grant.identity.sub } };
  },
  tokenError: oauthError,
  api: [
    { method: '*', path: `/2/${ENDPOINT}`, handle: currentAccount },
    { method: 'POST', path: '/2/auth/token/revoke', handle: () => ({ status: 200, json: null }) },
  ],
};
