import type { OAuthRefreshCoordinator } from '../refresh/oauth-refresh-coordinator.js';
import type { OAuthStateStore } from '../state/oauth-state.store.js';
import type { OAuthClientConfig } from './oauth-client-config.interface.js';
import type { OAuthToken, TokenUpdateEvent } from './oauth-token.interface.js';

export type OAuthStateStoreOption = 'cookie' | 'session' | 'memory' | OAuthStateStore;

export interface OAuthModuleOptions {
  /** Clients given in code; merged with `OAUTH_CLIENTS` from `ConfigService`. */
  clients?: Record<string, OAuthClientConfig>;
  /** Where pending logins live; default `'cookie'` (encrypted, no middleware). */
  stateStore?: OAuthStateStoreOption;
  /**
   * Keys of the cookie store, each at least 32 characters; the first encrypts, all
   * decrypt. Default: `OAUTH_STATE_SECRET` (comma-separated). Required in production.
   */
  stateSecret?: string | string[];
  /** Seconds a login may take; default 600. */
  stateTtl?: number;
  /** Receives exactly the `req` given to an API call; called only when no token is given. */
  fetchToken?: (name: string, req: unknown) => Promise<OAuthToken | null | undefined>;
  /** Awaited after every refresh, before the new token is used. */
  updateToken?: (event: TokenUpdateEvent) => unknown;
  /** Milliseconds for every request to a provider; default 10000. */
  timeout?: number;
  /** The fetch used for every provider request; default the global `fetch`. */
  fetch?: typeof fetch;
  userAgent?: string;
  /**
   * Makes the instances of a fleet send one refresh request per refresh token
   * (`new RedisRefreshCoordinator(redisClient)`); given `stateSecret` through
   * `useSecret()` at bootstrap. Default: none (each instance refreshes on its own).
   */
  refreshCoordinator?: OAuthRefreshCoordinator;
  /**
   * Asked for a client name that is not registered (one client per tenant, say):
   * its answer is validated like settings and cached; `undefined` means no such
   * client (404 `unknown_client`).
   */
  resolveClient?: (name: string) => OAuthClientConfig | undefined | Promise<OAuthClientConfig | undefined>;
  /** Resolved clients kept at most, least recently used out first; default 1000. Registered clients never count. */
  maxResolvedClients?: number;
  /** Seconds a resolved client is kept before it is resolved again; default 3600. */
  resolvedClientTtl?: number;
}

/** What `useClass` / `useExisting` of `forRootAsync` implement. */
export interface OAuthOptionsFactory {
  createOAuthOptions(): OAuthModuleOptions | Promise<OAuthModuleOptions>;
}
