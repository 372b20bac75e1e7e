import { randomBytes } from 'node:crypto';
import type { ConfigService } from '@nestjs/config';
import { providers, type OAuthClientConfig, type OAuthModuleOptions } from '../lib/index.js';
import type { EmbeddedProvider } from './embedded-provider.js';
import type { SampleSessions } from './session.js';

/**
 * Providers the sample knows besides its embedded one, as the library's presets.
 * Each is registered only when its client id is configured (`OAUTH_GITHUB_CLIENT_ID`,
 * `OAUTH_GOOGLE_CLIENT_ID`, `OAUTH_TWITTER_CLIENT_ID`); the library fills
 * `clientId` / `clientSecret` from those flat keys, and any other flat key
 * (`OAUTH_GITHUB_SCOPE=…`) wins over the preset's default.
 */
export const PRESET_PROVIDERS: Record<'github' | 'google' | 'twitter', { label: string; config: () => OAuthClientConfig }> = {
  github: { label: 'GitHub', config: () => providers.github() },
  google: { label: 'Google', config: () => providers.google() },
  twitter: { label: 'X (Twitter, OAuth 1.0a)', config: () => providers.twitter() },
};

/** Link text of each provider on the home page. */
export function providerLabel(name: string): string {
  if (name === 'local') return 'the embedded OpenID provider';
  return name in PRESET_PROVIDERS ? PRESET_PROVIDERS[name as keyof typeof PRESET_PROVIDERS].label : name;
}

/**
 * The module options: the embedded provider's client `local` (when it runs) and the
 * presets that have a client id. No `redirectUri`: each login comes back to the
 * route it started from, on whatever host name the browser used.
 */
export function sampleOAuthOptions(config: ConfigService, embedded: EmbeddedProvider | null, sessions: SampleSessions): OAuthModuleOptions {
  const clients: Record<string, OAuthClientConfig> = {};
  if (embedded) {
    clients.local = {
      clientId: embedded.clientId,
      clientSecret: embedded.clientSecret,
      serverMetadataUrl: `${embedded.issuer}/.well-known/openid-configuration`,
      // `client.get('greeting')` calls the provider's protected API under this base.
      apiBaseUrl: embedded.apiBaseUrl,
      scope: 'openid email profile',
    };
  }
  for (const [name, provider] of Object.entries(PRESET_PROVIDERS)) {
    if (config.get<string>(`OAUTH_${name.toUpperCase()}_CLIENT_ID`)) clients[name] = provider.config();
  }
  return {
    clients,
    // Authlib's fetch_token: API calls given `{ req }` use the token of that
    // request's session, so a handler never passes tokens around.
    fetchToken: async (name, req) => sessions.tokenFor(name, req),
    // The login-state cookie key: OAUTH_STATE_SECRET when set (the library reads it),
    // else a random key for this run, which is all a local sample needs.
    ...(config.get<string>('OAUTH_STATE_SECRET') ? {} : { stateSecret: randomBytes(32).toString('base64url') }),
  };
}
