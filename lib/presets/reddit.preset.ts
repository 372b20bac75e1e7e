import type { ProviderRequest, ProviderResponse } from '../interfaces/oauth-hooks.interface.js';
import { applyPreset } from './preset-config.js';
import { PRESET_USER_AGENT, answerObject, defaultHeader, withBody } from './provider-answer.js';
import type { PresetClientConfig, PresetDefinition, PresetOptions } from './preset.types.js';
import { normaliseUser, objectAt, text } from './user-claims.js';

/** Reddit's own options. */
export interface RedditPresetOptions {
  /** `permanent` (default: a refresh token is issued) or `temporary` (one hour, no refresh). */
  duration?: string;
}

/**
 * Reddit (OAuth 2.0, no OpenID). Every request needs a User-Agent (Reddit answers
 * 429 without one), the client authenticates with Basic auth, a refresh token needs
 * `duration=permanent`, the API is on `oauth.reddit.com`, and a refused client comes
 * back as `{"message": "Unauthorized", "error": 401}`.
 */
export const redditPreset: PresetDefinition<RedditPresetOptions> = {
  name: 'reddit',
  options: { duration: 'string' },
  required: [],
  check({ duration }) {
    if (duration !== undefined && duration !== 'permanent' && duration !== 'temporary') {
      return { field: 'duration', message: 'needs duration as permanent or temporary.' };
    }
    return undefined;
  },
  build({ duration = 'permanent' }): PresetClientConfig {
    return {
      authorizeUrl: 'https://www.reddit.com/api/v1/authorize',
      accessTokenUrl: 'https://www.reddit.com/api/v1/access_token',
      revocationUrl: 'https://www.reddit.com/api/v1/revoke_token',
      apiBaseUrl: 'https://oauth.reddit.com/',
      userinfoUrl: 'https://oauth.reddit.com/api/v1/me',
      scope: 'identity',
      authorizeParams: { duration },
      tokenEndpointAuthMethod: 'client_secret_basic',
      codeChallengeMethod: false,
      fetchUserinfo: true,
      hooks: {
        accessTokenRequest: userAgent,
        refreshTokenRequest: userAgent,
        revokeTokenRequest: userAgent,
        protectedRequest: userAgent,
        accessTokenResponse: tokenResponse,
        refreshTokenResponse: tokenResponse,
        userinfo(raw) {
          // Reddit HTML-escapes the query of its image URLs (`&amp;`).
          const icon = text(raw.icon_img)?.replace(/&amp;/g, '&');
          return normaliseUser(raw, { sub: raw.id, picture: icon, preferred_username: raw.name });
        },
      },
    };
  },
};

function userAgent(req: ProviderRequest): ProviderRequest {
  return defaultHeader(req, 'user-agent', PRESET_USER_AGENT);
}

/** Reddit's `{"message": "Unauthorized", "error": 401}` as an OAuth error. */
function tokenResponse(res: ProviderResponse): ProviderResponse {
  const body = objectAt(answerObject(res.body));
  if (body && typeof body.error === 'number') {
    const description = text(body.message);
    return withBody(res, {
      ...body,
      error: body.error === 401 ? 'invalid_client' : 'invalid_request',
      ...(description === undefined ? {} : { error_description: description }),
    });
  }
  return withBody(res, body ?? res.body);
}

/** `providers.reddit(options)`. */
export function reddit(options: PresetOptions<RedditPresetOptions> = {}): PresetClientConfig {
  return applyPreset(redditPreset, options);
}
