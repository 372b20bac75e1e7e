import type { OAuth2Token } from '../interfaces/oauth-token.interface.js';

/** What the refresher tells the coordinator about one refresh. */
export interface OAuthRefreshRunOptions {
  /**
   * The client's name. Part of the coordination key, so two clients never share a
   * refresh even if their providers issued the same refresh-token string.
   */
  client: string;
  /**
   * Milliseconds a caller waits for another instance's refresh before it gives up
   * with `OAuthError` `timeout` (the module's provider `timeout`). It bounds the
   * waiting only; a refresh this instance runs is bounded by its own requests.
   */
  timeoutMs: number;
}

/** How one `run()` ended. */
export interface OAuthRefreshOutcome {
  /** The provider's answer to the refresh, as `refresh()` resolved on whichever instance ran it. */
  token: OAuth2Token;
  /**
   * `true` for exactly the one call that ran `refresh()`; the refresher then runs
   * `updateToken` and `tokenUpdate$`. `false` for every call that received the token
   * from another call or instance, which must announce nothing (the contract: both
   * run once, on the instance that refreshed).
   */
  refreshedHere: boolean;
}

/**
 * Makes the instances of a fleet send one refresh request per refresh token.
 * Exported abstract class, usable as a provider token; give an instance as
 * `OAuthModuleOptions.refreshCoordinator` (`RedisRefreshCoordinator` is the one the
 * library ships).
 *
 * Why it exists: a provider that rotates refresh tokens (RFC 9700 section 4.14.2)
 * treats a second use of the same refresh token as theft and revokes the whole
 * grant. Each instance already shares one refresh between its own concurrent
 * callers; two instances holding the same expired token would still both refresh.
 *
 * How the refresher calls it (inside its own per-instance single flight, keyed by
 * refresh token):
 *
 * ```ts
 * const { token, refreshedHere } = await coordinator.run(
 *   refreshToken,
 *   () => this.requestRefresh(old, refreshToken),   // the token request and its checks, nothing else
 *   { client: this.name, timeoutMs: this.timeout },
 * );
 * if (refreshedHere) await this.announce({ name, token, refreshToken, accessToken }); // updateToken + tokenUpdate$
 * return token;
 * ```
 *
 * `refresh` must not include `updateToken`: the new token is handed to the other
 * instances as soon as the provider answered, and a failing `updateToken` must not
 * look like a failed refresh (the old refresh token is spent by then; retrying it
 * elsewhere would revoke the grant).
 */
export abstract class OAuthRefreshCoordinator {
  /**
   * Runs `refresh` on exactly one caller of the fleet for this refresh token and
   * hands its result to every other caller holding the same token, on this instance
   * or another, that arrives while it runs or shortly after.
   *
   * Resolves with the token, and `refreshedHere` on the one call that ran `refresh`.
   * Rejects with the `OAuthError` that `refresh` rejected with on whichever instance
   * ran it (same class, `code`, `status` and message), or `timeout` when
   * `opts.timeoutMs` passed while waiting for another instance.
   *
   * An implementation whose shared storage is unreachable runs `refresh` itself
   * (resolving with `refreshedHere: true`) rather than failing the call.
   */
  abstract run(refreshToken: string, refresh: () => Promise<OAuth2Token>, opts: OAuthRefreshRunOptions): Promise<OAuthRefreshOutcome>;

  /**
   * Called once by `OAuthModule` at bootstrap with the module's `stateSecret` (the
   * first encrypts, all decrypt, as for the state cookie), so a coordinator can
   * protect what it stores. A coordinator that stores nothing secret ignores it (the
   * default). Every instance of a fleet must be given a secret they share.
   */
  useSecret(secrets: readonly string[]): void {
    void secrets;
  }
}
