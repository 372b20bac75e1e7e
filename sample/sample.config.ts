import { randomBytes } from 'node:crypto';
import type { ConfigService } from '@nestjs/config';
import type { OAuthClientConfig, OAuthModuleOptions } from '../lib/index.js';
import type { EmbeddedProvider } from './embedded-provider.js';

/**
 * Providers the sample knows besides its embedded one. Each is registered only when
 * its client id is configured (`OAUTH_GITHUB_CLIENT_ID`, `OAUTH_GOOGLE_CLIENT_ID`);
 * the library itself fills `clientId` / `clientSecret` from those flat keys.
 * `overwrite`: these are defaults, so settings win (`OAUTH_GITHUB_SCOPE=…`).
 */
export const REAL_PROVIDERS: Record<'github' | 'google', { label: string; config: OAuthClientConfig }> = {
  github: {
    label: 'GitHub',
    config: {
      authorizeUrl: 'https://github.com/login/oauth/authorize',
      accessTokenUrl: 'https://github.com/login/oauth/access_token',
      apiBaseUrl: 'https://api.github.com/',
      scope: 'read:user user:email',
      overwrite: true,
    },
  },
  google: {
    label: 'Google',
    config: {
      serverMetadataUrl: 'https://accounts.google.com/.well-known/openid-configuration',
      scope: 'openid email profile',
      overwrite: true,
    },
  },
};

/** Link text of each provider on the home page. */
export function providerLabel(name: string): string {
  if (name === 'local') return 'the embedded OpenID provider';
  return name in REAL_PROVIDERS ? REAL_PROVIDERS[name as keyof typeof REAL_PROVIDERS].label : name;
}

/**
 * The module options: the embedded provider's client `local` (when it runs) and the
 * real providers that have a client id. No `redirectUri`: each login comes back to
 * the route it started from, on whatever host name the browser used.
 */
export function sampleOAuthOptions(config: ConfigService, embedded: EmbeddedProvider | null): OAuthModuleOptions {
  const clients: Record<string, OAuthClientConfig> = {};
  if (embedded) {
    clients.local = {
      clientId: embedded.clientId,
      clientSecret: embedded.clientSecret,
      serverMetadataUrl: `${embedded.issuer}/.well-known/openid-configuration`,
      scope: 'openid email profile',
      // Ask the provider to show its sign-in page every time, so after logging out
      // one can log in again as someone else.
      authorizeParams: { prompt: 'login' },
    };
  }
  for (const [name, provider] of Object.entries(REAL_PROVIDERS)) {
    if (config.get<string>(`OAUTH_${name.toUpperCase()}_CLIENT_ID`)) clients[name] = provider.config;
  }
  // The login-state cookie key: OAUTH_STATE_SECRET when set (the library reads it),
  // else a random key for this run, which is all a local sample needs.
  return {
    clients,
    ...(config.get<string>('OAUTH_STATE_SECRET') ? {} : { stateSecret: randomBytes(32).toString('base64url') }),
  };
}
