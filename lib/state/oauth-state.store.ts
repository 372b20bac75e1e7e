/**
 * Server-side storage of pending logins. Usable as a provider token:
 * `{ provide: OAuthStateStore, useClass: MyStore }`.
 *
 * The module binds every entry to the browser that started the login, so an
 * implementation only needs to store and atomically take values.
 */
export abstract class OAuthStateStore {
  /** Keep `data` under `key` for `ttlSeconds`. */
  abstract set(key: string, data: object, ttlSeconds: number): Promise<void>;
  /**
   * Read and delete in one step: of callers racing for one key, exactly one gets the
   * data. `undefined` when absent or expired.
   */
  abstract take(key: string): Promise<object | undefined>;
}
