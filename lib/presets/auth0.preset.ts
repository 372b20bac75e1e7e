import { applyPreset } from './preset-config.js';
import type { PresetClientConfig, PresetDefinition, PresetOptions } from './preset.types.js';
import { normaliseOpenIdClaims } from './user-claims.js';

/** Auth0's own options. */
export interface Auth0PresetOptions {
  /** The tenant's domain, e.g. `example.eu.auth0.com` or a custom domain. */
  domain: string;
}

/**
 * Auth0 (OpenID Connect by discovery). Its issuer ends with a slash
 * (`https://<domain>/`); `nickname` stands in for a missing `preferred_username`.
 */
export const auth0Preset: PresetDefinition<Auth0PresetOptions> = {
  name: 'auth0',
  options: { domain: 'string' },
  required: ['domain'],
  check({ domain }) {
    const host = domain.replace(/^https:\/\//, '').replace(/\/+$/, '');
    if (!/^[a-z0-9.-]+(:\d+)?$/i.test(host)) return { field: 'domain', message: 'needs domain as a host name, e.g. example.eu.auth0.com.' };
    return undefined;
  },
  build({ domain }): PresetClientConfig {
    const origin = `https://${domain.replace(/^https:\/\//, '').replace(/\/+$/, '')}`;
    return {
      serverMetadataUrl: `${origin}/.well-known/openid-configuration`,
      issuer: `${origin}/`,
      scope: 'openid profile email offline_access',
      apiBaseUrl: `${origin}/`,
      hooks: {
        userinfo: (raw) =>
          normaliseOpenIdClaims(raw, { preferred_username: raw.preferred_username ?? raw.nickname }),
      },
    };
  },
};

/** `providers.auth0({ domain })`. */
export function auth0(options: PresetOptions<Auth0PresetOptions>): PresetClientConfig {
  return applyPreset(auth0Preset, options);
}
