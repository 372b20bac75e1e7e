import { createHmac, timingSafeEqual } from 'node:crypto';
import type { MockApiCall, MockDialect } from '../mock-dialect.js';
import type { MockReply } from '../mock-http.js';

const VERSION = 'v\\d+\\.\\d+';

function graphError(status: number, message: string, type: string, code: number): MockReply {
  return { status, json: { error: { message, type, code, fbtrace_id: 'AmockTraceId' } } };
}

function me({ token, url, mock }: MockApiCall): MockReply {
  // "Require App Secret": a call without the proof, or with a wrong one, is refused.
  const secret = mock.client(token.grant.clientId)?.clientSecret ?? '';
  const proof = url.searchParams.get('appsecret_proof');
  if (proof === null) return graphError(400, 'API calls from the server require an appsecret_proof argument', 'GraphMethodException', 100);
  const expected = createHmac('sha256', secret).update(token.token).digest();
  const given = Buffer.from(proof, 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return graphError(400, 'Invalid appsecret_proof provided in the API argument', 'GraphMethodException', 100);
  }
  const c = token.grant.identity;
  const fields = (url.searchParams.get('fields') ?? 'id,name').split(',');
  const parts = typeof c.name === 'string' ? c.name.split(' ') : [];
  const all: Record<string, unknown> = {
    id: c.sub,
    name: c.name,
    first_name: c.given_name ?? parts[0],
    last_name: c.family_name ?? (parts.slice(1).join(' ') || undefined),
    email: token.grant.scope.includes('email') ? c.email : undefined,
    picture: {
      data: {
        height: 50,
        is_silhouette: c.picture === undefined,
        url: typeof c.picture === 'string' ? c.picture : `https://platform-lookaside.fbsbx.com/platform/profilepic/?asid=${c.sub}&height=50&width=50`,
        width: 50,
      },
    },
  };
  const out: Record<string, unknown> = {};
  for (const f of fields) if (all[f] !== undefined) out[f] = all[f];
  return { status: 200, json: { ...out, ...token.grant.raw } };
}

/**
 * Facebook Login: versioned paths (`/v22.0/…`); the secret as a body parameter only;
 * no refresh tokens; errors as `{"error": {"message", "type": "OAuthException",
 * "code"}}`; `me` with `fields`, and `appsecret_proof` required on API calls.
 */
export const facebookDialect: MockDialect = {
  name: 'facebook',
  openid: false,
  paths: {
    authorize: new RegExp(`^/${VERSION}/dialog/oauth$`),
    token: new RegExp(`^/${VERSION}/oauth/access_token$`),
  },
  clientAuth: ['post'],
  pkce: 'optional',
  rotateRefreshTokens: false,
  refreshIssued: () => false,
  tokenAnswer(body) {
    return { status: 200, json: { access_token: body.access_token, token_type: 'bearer', expires_in: body.expires_in } };
  },
  tokenError(_status, error, description) {
    if (error === 'invalid_client') return graphError(400, 'Error validating client secret.', 'OAuthException', 1);
    return graphError(400, description, 'OAuthException', 100);
  },
  api: [{ method: 'GET', path: new RegExp(`^/${VERSION}/me$`), handle: me }],
};
