// The public surface: only what an application needs. Everything else is internal.
export { OAuthModule } from './oauth.module.js';
export { OAuthRegistry, type OAuthClient } from './oauth.registry.js';
export { OAuthGuard, OAuthGuardBase, type OAuthGuardOptions, type OAuthClientSelector, type OAuthSelectorRequest } from './guard/oauth.guard.js';
export { OAuthRedirectException } from './guard/oauth-redirect.exception.js';
/** `OAuthLogoutGuard(name)`: the back-channel logout route of a client (OpenID Back-Channel Logout 1.0); `OAuthLogoutGuardBase` to extend it. */
export { OAuthLogoutGuard, OAuthLogoutGuardBase } from './guard/oauth-logout.guard.js';
export { OAuthToken, OAuthUser, InjectOAuthClient } from './oauth.decorators.js';
export {
  OAuthError,
  OAuthConfigError,
  OAuthUsageError,
  OAuthProviderError,
  OAuthValidationError,
  OAuthResponseError,
  OAuthTransportError,
  OAuthStateStoreError,
  OAuthHookError,
  OAuthTokenUpdateError,
  type OAuthErrorOptions,
} from './errors/oauth.error.js';
export type {
  OAuthErrorCode,
  OAuthLibraryErrorCode,
  OAuthConfigErrorCode,
  OAuthUsageErrorCode,
  OAuthValidationErrorCode,
  OAuthResponseErrorCode,
  OAuthTransportErrorCode,
  OAuthStateStoreErrorCode,
  OAuthTokenUpdateErrorCode,
  OAuthHookErrorCode,
} from './errors/error-codes.js';
export { OAuthException, type OAuthExceptionBody } from './errors/oauth.exception.js';
export { OAUTH_MODULE_OPTIONS, getOAuthClientToken } from './oauth.constants.js';
export { OAuth1Client } from './clients/oauth1/oauth1.client.js';
export { OAuth2Client } from './clients/oauth2/oauth2.client.js';
export type { OAuth2Endpoints } from './clients/oauth2/endpoints.js';
export type { AuthorizeOptions, AuthorizationRequest, CallbackOptions } from './clients/protocol-client.js';
export type { RequestOptions } from './clients/request-options.js';
export type { ServerMetadata } from './clients/oidc/server-metadata.js';
export { OAuthStateStore } from './state/oauth-state.store.js';
export { MemoryStateStore } from './state/memory-state.store.js';
export { CacheStateStore, type CacheLike, type CacheStateStoreOptions } from './state/cache-state.store.js';
export type {
  OAuthClientConfig,
  OAuth1SignatureMethod,
  OAuth1SignatureType,
  TokenEndpointAuthMethod,
} from './interfaces/oauth-client-config.interface.js';
export type { OAuthModuleOptions, OAuthOptionsFactory, OAuthStateStoreOption } from './interfaces/oauth-module-options.interface.js';
export type { OAuth1Token, OAuth2Token, OAuthResult, TokenUpdateEvent, UserInfo } from './interfaces/oauth-token.interface.js';
export { OAuthRefreshCoordinator, type OAuthRefreshOutcome, type OAuthRefreshRunOptions } from './refresh/oauth-refresh-coordinator.js';
export {
  RedisRefreshCoordinator,
  type RedisRefreshClient,
  type RedisRefreshCoordinatorOptions,
} from './refresh/redis-refresh-coordinator.js';
/** `LogoutEvent` (what `logout$` emits), `OAuthLogout` (`req.oauth.logout`) and the options of `logoutUrl()`. */
export type { LogoutEvent, LogoutUrlOptions, OAuthLogout } from './interfaces/logout-event.interface.js';
export type { OAuthClientHooks, ProviderRequest, ProviderResponse, HookResult } from './interfaces/oauth-hooks.interface.js';
export { providers } from './presets/providers.js';
export {
  PRESET_NAMES,
  PRESET_SOURCE,
  type PresetSource,
  type PresetName,
  type OAuthPresetHooks,
  type PresetClientConfig,
  type PresetClientInfo,
  type PresetOptions,
  type PresetProfileContext,
  type PresetRequestOptions,
} from './presets/preset.types.js';
export type { GitHubPresetOptions } from './presets/github.preset.js';
export type { GooglePresetOptions } from './presets/google.preset.js';
export type { MicrosoftPresetOptions } from './presets/microsoft.preset.js';
export type { ApplePresetOptions } from './presets/apple.preset.js';
export type { FacebookPresetOptions } from './presets/facebook.preset.js';
export type { GitLabPresetOptions } from './presets/gitlab.preset.js';
export type { OktaPresetOptions } from './presets/okta.preset.js';
export type { Auth0PresetOptions } from './presets/auth0.preset.js';
export type { KeycloakPresetOptions } from './presets/keycloak.preset.js';
export type { RedditPresetOptions } from './presets/reddit.preset.js';
