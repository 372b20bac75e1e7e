import { OAuthValidationError } from '../errors/oauth.error.js';
import { applyPreset } from './preset-config.js';
import type { PresetClientConfig, PresetDefinition, PresetOptions } from './preset.types.js';
import { normaliseOpenIdClaims } from './user-claims.js';

/** Google's own options. */
export interface GooglePresetOptions {
  /**
   * Google Workspace domain (`hd`): shown as a hint at login and required in the ID
   * token's `hd` claim (the parameter alone proves nothing). `*` accepts any
   * Workspace account and refuses consumer accounts.
   */
  hd?: string;
  /** Ask for a refresh token: `access_type=offline` and `prompt=consent` (Google returns one only on consent). */
  offline?: boolean;
}

/**
 * Google: OpenID Connect by discovery. Some of its ID tokens name the issuer without
 * the scheme (`accounts.google.com`), which is accepted as the same issuer; a refresh
 * token comes only with `access_type=offline`, and again only after `prompt=consent`.
 */
export const googlePreset: PresetDefinition<GooglePresetOptions> = {
  name: 'google',
  options: { hd: 'string', offline: 'boolean' },
  required: [],
  build({ hd, offline }): PresetClientConfig {
    const authorizeParams: Record<string, string> = {};
    if (hd !== undefined) authorizeParams.hd = hd;
    if (offline) {
      authorizeParams.access_type = 'offline';
      authorizeParams.prompt = 'consent';
    }
    return {
      serverMetadataUrl: 'https://accounts.google.com/.well-known/openid-configuration',
      scope: 'openid email profile',
      apiBaseUrl: 'https://www.googleapis.com/',
      ...(Object.keys(authorizeParams).length > 0 ? { authorizeParams } : {}),
      hooks: {
        idTokenIssuer(claims, issuer) {
          // Google documents both spellings as its issuer; the scheme-less one is the
          // same issuer, not a different one.
          const bare = issuer.replace(/^https?:\/\//, '');
          return claims.iss === bare ? bare : issuer;
        },
        ...(hd === undefined
          ? {}
          : {
              idTokenClaims(claims: Readonly<Record<string, unknown>>) {
                const ok = hd === '*' ? typeof claims.hd === 'string' && claims.hd !== '' : claims.hd === hd;
                if (!ok) {
                  throw new OAuthValidationError('invalid_id_token', 'The Google account is not in the required Workspace domain (hd).');
                }
              },
            }),
        userinfo: (raw) => normaliseOpenIdClaims(raw),
      },
    };
  },
};

/** `providers.google(options)`. */
export function google(options: PresetOptions<GooglePresetOptions> = {}): PresetClientConfig {
  return applyPreset(googlePreset, options);
}
