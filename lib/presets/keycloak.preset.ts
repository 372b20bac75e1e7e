import { applyPreset } from './preset-config.js';
import type { PresetClientConfig, PresetDefinition, PresetOptions } from './preset.types.js';
import { normaliseOpenIdClaims } from './user-claims.js';

/** Keycloak's own options. */
export interface KeycloakPresetOptions {
  /** The realm's URL, e.g. `https://keycloak.example.com/realms/demo`. */
  issuer: string;
}

/** Keycloak (OpenID Connect by discovery under the realm URL). */
export const keycloakPreset: PresetDefinition<KeycloakPresetOptions> = {
  name: 'keycloak',
  options: { issuer: 'url' },
  required: ['issuer'],
  build({ issuer }): PresetClientConfig {
    const base = issuer.replace(/\/+$/, '');
    return {
      serverMetadataUrl: `${base}/.well-known/openid-configuration`,
      issuer: base,
      scope: 'openid profile email',
      hooks: { userinfo: (raw) => normaliseOpenIdClaims(raw) },
    };
  },
};

/** `providers.keycloak({ issuer })`. */
export function keycloak(options: PresetOptions<KeycloakPresetOptions>): PresetClientConfig {
  return applyPreset(keycloakPreset, options);
}
