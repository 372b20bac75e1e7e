import { decodeProtectedHeader, jwtVerify } from 'jose';
import { APPLE_AUDIENCE } from '../../presets/apple.preset.js';
import type { MockDialect, MockGrant } from '../mock-dialect.js';
import type { MockReply } from '../mock-http.js';

const MAX_SECRET_LIFETIME = 15_777_000;

/** Apple answers every refusal of the token endpoint this tersely. */
const refuse = (error: string): MockReply => ({ status: 400, json: { error } });

const asksForUserData = (grant: { scope: string[] }) => grant.scope.includes('name') || grant.scope.includes('email');

function firstAndLast(grant: MockGrant): { firstName?: string; lastName?: string } {
  const c = grant.identity;
  const parts = typeof c.name === 'string' ? c.name.split(' ') : [];
  const firstName = typeof c.given_name === 'string' ? c.given_name : parts[0];
  const lastName = typeof c.family_name === 'string' ? c.family_name : parts.slice(1).join(' ') || undefined;
  return { ...(firstName ? { firstName } : {}), ...(lastName ? { lastName } : {}) };
}

/**
 * Sign in with Apple: `response_mode=form_post` required when `name` or `email` is
 * asked for; the user's name only in the first authorization's `user` form field;
 * the client secret an ES256 JWT (kid the key ID, iss the team ID, sub the client ID,
 * aud `https://appleid.apple.com`, at most six months long) sent in the body, never
 * Basic; `email_verified` and `is_private_email` as strings; no userinfo endpoint.
 */
export const appleDialect: MockDialect = {
  name: 'apple',
  openid: true,
  defaultClientId: 'com.example.web',
  paths: {
    discovery: '/.well-known/openid-configuration',
    authorize: '/auth/authorize',
    token: '/auth/token',
    jwks: '/auth/keys',
    revoke: '/auth/revoke',
  },
  clientAuth: ['post'],
  pkce: 'optional',
  rotateRefreshTokens: false,
  refreshIssued: () => true,
  authorizeError(params) {
    if (asksForUserData({ scope: (params.get('scope') ?? '').split(' ') }) && params.get('response_mode') !== 'form_post') {
      return { error: 'invalid_request', description: 'response_mode must be form_post when name or email scope is requested.', page: true };
    }
    return undefined;
  },
  callbackExtras(grant): Record<string, string> {
    if (!grant.firstConsent || !asksForUserData(grant)) return {};
    const user: Record<string, unknown> = {};
    if (grant.scope.includes('name')) user.name = firstAndLast(grant);
    if (grant.scope.includes('email') && typeof grant.identity.email === 'string') user.email = grant.identity.email;
    return { user: JSON.stringify(user) };
  },
  claims(grant) {
    const c = grant.identity;
    const out: Record<string, unknown> = {};
    if (grant.scope.includes('email') && typeof c.email === 'string') {
      out.email = c.email;
      out.email_verified = String(c.email_verified !== false);
      out.is_private_email = String(c.is_private_email === true || c.is_private_email === 'true');
    }
    out.nonce_supported = true;
    out.real_user_status = 2;
    return out;
  },
  async authenticate(form, request, mock) {
    if (request.headers.authorization) return refuse('invalid_client');
    const clientId = form.get('client_id') ?? '';
    const client = mock.client(clientId);
    const secret = form.get('client_secret');
    if (!client?.apple || !secret) return refuse('invalid_client');
    try {
      const header = decodeProtectedHeader(secret);
      if (header.alg !== 'ES256' || header.kid !== client.apple.keyId) return refuse('invalid_client');
      const { payload } = await jwtVerify(secret, client.apple.publicKey, {
        algorithms: ['ES256'],
        issuer: client.apple.teamId,
        subject: clientId,
        audience: APPLE_AUDIENCE,
      });
      if (typeof payload.iat !== 'number' || typeof payload.exp !== 'number' || payload.exp - payload.iat > MAX_SECRET_LIFETIME) {
        return refuse('invalid_client');
      }
    } catch {
      return refuse('invalid_client');
    }
    return client;
  },
  tokenAnswer(body) {
    // Apple's answer carries no scope.
    const fields = { ...body };
    delete fields.scope;
    return { status: 200, json: fields };
  },
  tokenError: (_status, error) => refuse(error),
  api: [],
};
