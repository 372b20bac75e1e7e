import type { ProviderRequest } from '../interfaces/oauth-hooks.interface.js';
import { applyPreset, bindableHooks } from './preset-config.js';
import { formBody, profileObject } from './provider-answer.js';
import type { OAuthPresetHooks, PresetClientConfig, PresetClientInfo, PresetDefinition, PresetOptions } from './preset.types.js';
import { normaliseUser, objectAt } from './user-claims.js';

/** X has no options of its own. */
export type XPresetOptions = Record<never, never>;

/**
 * X (Twitter's OAuth 2.0): PKCE is required, a confidential client authenticates with
 * Basic auth and must repeat `client_id` in the body, and a refresh token comes only
 * with the `offline.access` scope. No OpenID and no email.
 */
export const xPreset: PresetDefinition<XPresetOptions> = {
  name: 'x',
  options: {},
  required: [],
  build(): PresetClientConfig {
    return {
      authorizeUrl: 'https://x.com/i/oauth2/authorize',
      accessTokenUrl: 'https://api.x.com/2/oauth2/token',
      revocationUrl: 'https://api.x.com/2/oauth2/revoke',
      apiBaseUrl: 'https://api.x.com/2/',
      scope: 'users.read tweet.read offline.access',
      codeChallengeMethod: 'S256',
      fetchUserinfo: true,
      hooks: bindableHooks(xHooks),
    };
  },
};

/** `providers.x(options)`. */
export function x(options: PresetOptions<XPresetOptions> = {}): PresetClientConfig {
  return applyPreset(xPreset, options);
}

function xHooks(client: Partial<PresetClientInfo>): OAuthPresetHooks {
  const withClientId = (req: ProviderRequest): ProviderRequest => {
    const body = formBody(req);
    const clientId = client.clientId ?? basicUser(req.headers.get('authorization'));
    if (clientId !== undefined && !body.has('client_id')) body.set('client_id', clientId);
    req.body = body;
    return req;
  };
  return {
    accessTokenRequest: withClientId,
    refreshTokenRequest: withClientId,
    revokeTokenRequest: withClientId,
    async profile(ctx) {
      const res = await ctx.request('GET', 'users/me', { query: { 'user.fields': 'profile_image_url,verified,created_at' } });
      const user = objectAt(profileObject(res, 'X users/me endpoint').data);
      return user ?? {};
    },
    userinfo(raw) {
      return normaliseUser(raw, {
        sub: raw.id,
        name: raw.name,
        picture: raw.profile_image_url,
        preferred_username: raw.username,
      });
    },
  };
}

/** The client id of a Basic `Authorization` header (RFC 6749 section 2.3.1 form-encodes it). */
function basicUser(header: string | null): string | undefined {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header ?? '');
  if (!m) return undefined;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' '));
}
