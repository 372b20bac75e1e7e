import { applyPreset } from './preset-config.js';
import type { PresetClientConfig, PresetDefinition, PresetOptions } from './preset.types.js';
import { normaliseUser } from './user-claims.js';

/** GitLab's own options. */
export interface GitLabPresetOptions {
  /** A self-managed instance, e.g. `https://gitlab.example.com`; default `https://gitlab.com`. */
  baseUrl?: string;
}

/**
 * GitLab (OAuth 2.0 with the `read_user` scope; profile `api/v4/user`). Self-managed
 * instances by `baseUrl`. Refresh tokens are issued and rotate.
 */
export const gitlabPreset: PresetDefinition<GitLabPresetOptions> = {
  name: 'gitlab',
  options: { baseUrl: 'url' },
  required: [],
  build({ baseUrl }): PresetClientConfig {
    const base = (baseUrl ?? 'https://gitlab.com').replace(/\/+$/, '');
    return {
      authorizeUrl: `${base}/oauth/authorize`,
      accessTokenUrl: `${base}/oauth/token`,
      revocationUrl: `${base}/oauth/revoke`,
      apiBaseUrl: `${base}/api/v4/`,
      userinfoUrl: `${base}/api/v4/user`,
      scope: 'read_user',
      fetchUserinfo: true,
      hooks: {
        userinfo: (raw) =>
          normaliseUser(raw, {
            sub: raw.id,
            name: raw.name,
            email: raw.email,
            picture: raw.avatar_url,
            preferred_username: raw.username,
          }),
      },
    };
  },
};

/** `providers.gitlab(options)`. */
export function gitlab(options: PresetOptions<GitLabPresetOptions> = {}): PresetClientConfig {
  return applyPreset(gitlabPreset, options);
}
