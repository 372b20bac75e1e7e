import { applyPreset } from './preset-config.js';
import { profileObject } from './provider-answer.js';
import type { PresetClientConfig, PresetDefinition, PresetOptions } from './preset.types.js';
import { normaliseUser } from './user-claims.js';

/** Twitter (OAuth 1.0a) has no options of its own. */
export type TwitterPresetOptions = Record<never, never>;

/**
 * Twitter's OAuth 1.0a ("Log in with X" for OAuth 1 apps). The profile is
 * `account/verify_credentials.json` with `include_email=true`; Twitter returns the
 * address only when it is verified, so a returned email is a verified one.
 */
export const twitterPreset: PresetDefinition<TwitterPresetOptions> = {
  name: 'twitter',
  options: {},
  required: [],
  build(): PresetClientConfig {
    return {
      requestTokenUrl: 'https://api.twitter.com/oauth/request_token',
      authorizeUrl: 'https://api.twitter.com/oauth/authenticate',
      accessTokenUrl: 'https://api.twitter.com/oauth/access_token',
      apiBaseUrl: 'https://api.twitter.com/1.1/',
      hooks: {
        async profile(ctx) {
          const res = await ctx.request('GET', 'account/verify_credentials.json', {
            query: { include_email: 'true', skip_status: 'true' },
          });
          return profileObject(res, 'Twitter verify_credentials endpoint');
        },
        userinfo(raw) {
          const email = typeof raw.email === 'string' && raw.email !== '' ? raw.email : undefined;
          return normaliseUser(raw, {
            sub: raw.id_str ?? raw.id,
            name: raw.name,
            email,
            email_verified: email === undefined ? undefined : true,
            picture: raw.profile_image_url_https,
            preferred_username: raw.screen_name,
          });
        },
      },
    };
  },
};

/** `providers.twitter(options)`. */
export function twitter(options: PresetOptions<TwitterPresetOptions> = {}): PresetClientConfig {
  return applyPreset(twitterPreset, options);
}
