import { applyPreset, bindableHooks } from './preset-config.js';
import { formBody } from './provider-answer.js';
import type { PresetClientConfig, PresetDefinition, PresetOptions } from './preset.types.js';
import { normaliseOpenIdClaims } from './user-claims.js';

/** Okta's own options. */
export interface OktaPresetOptions {
  /** The authorization server's issuer, e.g. `https://example.okta.com/oauth2/default`. */
  issuer: string;
}

/**
 * Okta (OpenID Connect by discovery under the authorization server's issuer). A
 * refresh request repeats the client's scope, which Okta wants on refresh.
 */
export const oktaPreset: PresetDefinition<OktaPresetOptions> = {
  name: 'okta',
  options: { issuer: 'url' },
  required: ['issuer'],
  build({ issuer }): PresetClientConfig {
    const base = issuer.replace(/\/+$/, '');
    return {
      serverMetadataUrl: `${base}/.well-known/openid-configuration`,
      issuer: base,
      scope: 'openid profile email offline_access',
      hooks: bindableHooks((client) => ({
        refreshTokenRequest(req) {
          const body = formBody(req);
          if (!body.has('scope') && client.scope) body.set('scope', client.scope);
          req.body = body;
          return req;
        },
        userinfo: (raw) => normaliseOpenIdClaims(raw),
      })),
    };
  },
};

/** `providers.okta({ issuer })`. */
export function okta(options: PresetOptions<OktaPresetOptions>): PresetClientConfig {
  return applyPreset(oktaPreset, options);
}
