/** Injection token of the validated `OAuthModuleOptions`. */
export const OAUTH_MODULE_OPTIONS: unique symbol = Symbol('OAUTH_MODULE_OPTIONS');

/** Metadata key under which the guard stores its per-route options. */
export const OAUTH_GUARD_OPTIONS: unique symbol = Symbol('OAUTH_GUARD_OPTIONS');

const clientTokens = new Map<string, symbol>();

/**
 * The injection token of the client `name`, as provided by `OAuthModule.forFeature()`.
 * One Symbol per name for the life of the process, so every module that asks for
 * `github` gets the same token.
 */
export function getOAuthClientToken(name: string): symbol {
  let token = clientTokens.get(name);
  if (!token) {
    token = Symbol(`OAuthClient(${name})`);
    clientTokens.set(name, token);
  }
  return token;
}

/** Name of the HttpOnly cookie that binds server-side state to one browser. */
export const BINDING_COOKIE = 'oauth_bind';
/** Prefix of the encrypted cookies holding pending logins (cookie store). */
export const STATE_COOKIE_PREFIX = 'oauth_s_';

/** Defaults of `OAuthModuleOptions` and `OAuthClientConfig`, in their units. */
export const DEFAULTS = {
  stateTtl: 600,
  timeout: 10_000,
  leeway: 120,
  refreshLeeway: 60,
  /** How long a fetched discovery document is reused, in seconds. */
  metadataTtl: 3600,
  /** After an unknown `kid` forced a JWKS refetch, the next refetch waits this long (ms). */
  jwksCooldown: 30_000,
  /** How long a fetched JWKS is reused when no unknown key shows up (ms). */
  jwksTtl: 600_000,
  /** Body caps in bytes: discovery and JWKS are smaller by nature. */
  maxMetadataBytes: 512 * 1024,
  maxBodyBytes: 1024 * 1024,
  /** Callback and login inputs above this many characters are refused. */
  maxParamLength: 4096,
  /** The state store must answer within this many ms. */
  storeTimeout: 2000,
  /** Clients built by `resolveClient` kept at most, and for how long (seconds). */
  maxResolvedClients: 1000,
  resolvedClientTtl: 3600,
  /** A back-channel logout request body above this many bytes is refused (400). */
  maxLogoutBodyBytes: 16 * 1024,
  /** Logout token ids remembered per client until their token expires; the oldest go first past this. */
  maxLogoutTokenIds: 10_000,
} as const;

export const USER_AGENT = 'nestjs-oauth-client';

/** @internal The module options after validation (`ResolvedModuleOptions`). */
export const OAUTH_RESOLVED_OPTIONS: unique symbol = Symbol('OAUTH_RESOLVED_OPTIONS');
