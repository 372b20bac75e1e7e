import { applyPreset } from './preset-config.js';
import type { PresetClientConfig, PresetDefinition, PresetOptions } from './preset.types.js';
import { normaliseUser, objectAt } from './user-claims.js';

/** Spotify has no options of its own. */
export type SpotifyPresetOptions = Record<never, never>;

/** Spotify (OAuth 2.0, no OpenID; profile `v1/me`, picture the first of `images`). */
export const spotifyPreset: PresetDefinition<SpotifyPresetOptions> = {
  name: 'spotify',
  options: {},
  required: [],
  build(): PresetClientConfig {
    return {
      authorizeUrl: 'https://accounts.spotify.com/authorize',
      accessTokenUrl: 'https://accounts.spotify.com/api/token',
      apiBaseUrl: 'https://api.spotify.com/v1/',
      userinfoUrl: 'https://api.spotify.com/v1/me',
      scope: 'user-read-email user-read-private',
      fetchUserinfo: true,
      hooks: {
        userinfo: (raw) =>
          normaliseUser(raw, {
            sub: raw.id,
            name: raw.display_name,
            email: raw.email,
            picture: Array.isArray(raw.images) ? objectAt(raw.images[0])?.url : undefined,
          }),
      },
    };
  },
};

/** `providers.spotify(options)`. */
export function spotify(options: PresetOptions<SpotifyPresetOptions> = {}): PresetClientConfig {
  return applyPreset(spotifyPreset, options);
}
