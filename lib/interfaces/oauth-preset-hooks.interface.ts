import type { HookResult, OAuthClientHooks, ProviderRequest, ProviderResponse } from './oauth-hooks.interface.js';
import type { OAuthToken, UserInfo } from './oauth-token.interface.js';

/**
 * What a preset's hooks learn about the client they serve, once its configuration is
 * final (settings, flat `OAUTH_<NAME>_<FIELD>` keys and defaults merged). A
 * `ResolvedClientConfig` satisfies it as it is.
 */
export interface PresetClientInfo {
  readonly name: string;
  readonly clientId: string;
  readonly clientSecret?: string;
  /** Space-separated, as sent. */
  readonly scope?: string;
  readonly apiBaseUrl?: string;
  readonly userinfoUrl?: string;
}

/** Options of an API call made for a profile: the client's `RequestOptions` subset. */
export interface PresetRequestOptions {
  query?: Record<string, string>;
  headers?: Record<string, string>;
  json?: unknown;
  body?: string;
}

/**
 * What `profile(ctx)` gets: the login's token and a way to call the provider's API
 * with it, exactly as `client.request()` does (URL resolved under `apiBaseUrl`,
 * `protectedRequest` applied, the token added, User-Agent, timeout, capped body).
 */
export interface PresetProfileContext {
  /** The token of this login (OAuth 2 or OAuth 1). */
  readonly token: OAuthToken;
  /** The validated ID token claims, when the login carried an ID token. */
  readonly claims?: UserInfo;
  /**
   * The callback's parameters (query plus `form_post` body, every value per name),
   * at login only; absent when the profile is fetched later (`client.userinfo()`).
   */
  readonly callbackParams?: ReadonlyMap<string, readonly string[]>;
  /**
   * An API call with this login's token. Resolves with the answer whatever its
   * status; `body` is the parsed JSON when the body is JSON, else the text.
   */
  request(method: string, url: string, opts?: PresetRequestOptions): Promise<ProviderResponse>;
}

/**
 * A preset's hooks: the contract's `OAuthClientHooks` plus extension points that a
 * hook alone cannot express. Every member is optional; a client ignores the ones it
 * does not know, so a preset config stays a plain `OAuthClientConfig`.
 */
export interface OAuthPresetHooks extends OAuthClientHooks {
  /**
   * Called once when the client is built, with its final configuration; returns the
   * hooks the client uses from then on. Lets a preset read `clientId` or
   * `clientSecret` that came from settings after the preset was applied (Twitch's
   * `Client-Id`, Facebook's `appsecret_proof`, Apple's client-secret JWT, X's body
   * `client_id`).
   */
  bind?(client: PresetClientInfo): OAuthPresetHooks;
  /**
   * Every API call, before the token or signature is added. A preset's version also
   * receives the token about to be used (Facebook's `appsecret_proof` is an HMAC of
   * it); hooks written for the contract ignore the second argument.
   */
  protectedRequest?(req: ProviderRequest, token?: OAuthToken): HookResult<ProviderRequest>;
  /**
   * Fetches the raw profile after a login (and for `client.userinfo()`), instead of
   * one GET of the userinfo endpoint: several calls (GitHub's hidden email), another
   * method (Dropbox's POST), a path under `apiBaseUrl`, or data of the callback
   * itself (Apple's `user` field). Its answer goes through `userinfo(raw, token)`.
   */
  profile?(ctx: PresetProfileContext): Promise<Record<string, unknown>>;
  /**
   * The `iss` an ID token must carry, given its (not yet verified) claims and the
   * issuer from configuration or discovery. Throws `OAuthValidationError`
   * `invalid_id_token` to refuse the token outright (Microsoft's `tid` outside
   * `allowedTenants`). The answer is then checked like any issuer, signature first.
   */
  idTokenIssuer?(claims: Readonly<Record<string, unknown>>, issuer: string): string;
  /**
   * Further checks of verified ID token claims (Google's `hd`); throws
   * `OAuthValidationError` `invalid_id_token` to refuse the token.
   */
  idTokenClaims?(claims: Readonly<Record<string, unknown>>): void;
  /**
   * `'if-present'`: the provider omits `nonce` from its ID tokens (LinkedIn). The
   * nonce is still sent and, when the ID token carries one, must match; a token
   * without one is accepted. Default `'required'`.
   */
  idTokenNonce?: 'required' | 'if-present';
}

