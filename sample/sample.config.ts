import type { OAuthClientConfig } from '../lib/index.js';

/** Providers the sample knows; each appears once its client id is configured. */
export const REAL_PROVIDERS: Record<'github' | 'google', { label: string; config: OAuthClientConfig }> = {
  github: {
    label: 'GitHub',
    config: {
      authorizeUrl: 'https://github.com/login/oauth/authorize',
      accessTokenUrl: 'https://github.com/login/oauth/access_token',
      apiBaseUrl: 'https://api.github.com/',
      scope: 'read:user user:email',
    },
  },
  google: {
    label: 'Google',
    config: {
      serverMetadataUrl: 'https://accounts.google.com/.well-known/openid-configuration',
      scope: 'openid email profile',
    },
  },
};

export interface SampleOptions {
  /** Where the app is reached, e.g. http://localhost:3000. */
  baseUrl: string;
  /** The embedded provider, when it runs. */
  local?: { issuer: string; clientId: string; clientSecret: string };
  /** Names of the real providers configured through the environment. */
  real: Array<keyof typeof REAL_PROVIDERS>;
}

export const SAMPLE_OPTIONS = Symbol('SAMPLE_OPTIONS');
