import { applyPreset } from './preset-config.js';
import { profileObject } from './provider-answer.js';
import type { PresetClientConfig, PresetDefinition, PresetOptions } from './preset.types.js';
import { normaliseUser, objectAt } from './user-claims.js';

/** Dropbox has no options of its own. */
export type DropboxPresetOptions = Record<never, never>;

/**
 * Dropbox (OAuth 2.0). A refresh token needs `token_access_type=offline`; the
 * profile is a POST to `2/users/get_current_account` with no body at all (Dropbox
 * refuses a form or an empty JSON body there).
 */
export const dropboxPreset: PresetDefinition<DropboxPresetOptions> = {
  name: 'dropbox',
  options: {},
  required: [],
  build(): PresetClientConfig {
    return {
      authorizeUrl: 'https://www.dropbox.com/oauth2/authorize',
      accessTokenUrl: 'https://api.dropboxapi.com/oauth2/token',
      apiBaseUrl: 'https://api.dropboxapi.com/',
      scope: 'account_info.read',
      authorizeParams: { token_access_type: 'offline' },
      fetchUserinfo: true,
      hooks: {
        async profile(ctx) {
          return profileObject(await ctx.request('POST', '2/users/get_current_account'), 'Dropbox get_current_account endpoint');
        },
        userinfo(raw) {
          const name = objectAt(raw.name);
          return normaliseUser(raw, {
            sub: raw.account_id,
            name: name?.display_name,
            given_name: name?.given_name,
            family_name: name?.surname,
            email: raw.email,
            email_verified: raw.email_verified,
            picture: raw.profile_photo_url,
          });
        },
      },
    };
  },
};

/** `providers.dropbox(options)`. */
export function dropbox(options: PresetOptions<DropboxPresetOptions> = {}): PresetClientConfig {
  return applyPreset(dropboxPreset, options);
}
