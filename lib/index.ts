export { OAuthModule } from './oauth.module.js';
export { OAuthRegistry, type OAuthClient } from './oauth.registry.js';
export { OAuthGuard, OAuthRedirectException, type IOAuthGuard, type OAuthGuardOptions } from './oauth.guard.js';
export { OAuthToken, OAuthUser, InjectOAuthClient } from './oauth.decorators.js';
export {
  OAuthError,
  OAuthConfigError,
  OAuthProviderError,
  OAuthResponseError,
  OAuthValidationError,
  OAuthStateStoreError,
  OAuthTokenUpdateError,
  OAuthException,
  type OAuthErrorCode,
  type OAuthLibraryErrorCode,
  type OAuthErrorOptions,
  type OAuthExceptionBody,
} from './oauth.errors.js';
export { OAUTH_MODULE_OPTIONS, getOAuthClientToken } from './oauth.constants.js';
export { OAuth1Client } from './clients/oauth1/oauth1.client.js';
export { OAuth2Client, type OAuth2Endpoints } from './clients/oauth2/oauth2.client.js';
export type { AuthorizeOptions, CallbackOptions, RequestOptions, LoginResult } from './clients/client-context.js';
export type { ServerMetadata } from './clients/oidc/server-metadata.js';
export { OAuthStateStore } from './state/oauth-state.store.js';
export { MemoryStateStore } from './state/memory-state.store.js';
export { CacheStateStore, type CacheLike } from './state/cache-state.store.js';
export type {
  OAuthClientConfig,
  OAuth1SignatureMethod,
  OAuth1SignatureType,
  TokenEndpointAuthMethod,
} from './interfaces/oauth-client-config.interface.js';
export type { OAuthModuleOptions, OAuthOptionsFactory, OAuthStateStoreOption } from './interfaces/oauth-module-options.interface.js';
export type { OAuth1Token, OAuth2Token, OAuthResult, TokenUpdateEvent, UserInfo } from './interfaces/oauth-token.interface.js';
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
