import { applyPreset } from './preset-config.js';
import type { PresetClientConfig, PresetDefinition, PresetOptions } from './preset.types.js';
import { normaliseOpenIdClaims } from './user-claims.js';

/** LinkedIn has no options of its own. */
export type LinkedInPresetOptions = Record<never, never>;

/**
 * LinkedIn ("Sign In with LinkedIn using OpenID Connect"). The secret goes in the body
 * only (no Basic auth); a web app's code_verifier is refused as `invalid_client`, so
 * PKCE is off; its ID tokens carry no `nonce`, so a nonce is checked only when one
 * comes back. What protects the login then is the state (bound to the browser) and
 * the client secret at the code exchange.
 */
export const linkedinPreset: PresetDefinition<LinkedInPresetOptions> = {
  name: 'linkedin',
  options: {},
  required: [],
  build(): PresetClientConfig {
    return {
      serverMetadataUrl: 'https://www.linkedin.com/oauth/.well-known/openid-configuration',
      scope: 'openid profile email',
      apiBaseUrl: 'https://api.linkedin.com/v2/',
      tokenEndpointAuthMethod: 'client_secret_post',
      codeChallengeMethod: false,
      hooks: {
        idTokenNonce: 'if-present',
        userinfo: (raw) => normaliseOpenIdClaims(raw),
      },
    };
  },
};

/** `providers.linkedin(options)`. */
export function linkedin(options: PresetOptions<LinkedInPresetOptions> = {}): PresetClientConfig {
  return applyPreset(linkedinPreset, options);
}
