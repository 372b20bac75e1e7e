import { KeyedSingleFlight } from '../../http/keyed-single-flight.js';
import type { OAuth2Token, TokenUpdateEvent } from '../../interfaces/oauth-token.interface.js';

const REMEMBER_MS = 5 * 60_000;

/**
 * Tokens of the client itself (RFC 6749 section 4.4) have no refresh token: an
 * expired one is fetched again. Concurrent calls holding the same expired token
 * share one re-fetch, and the answer stays shared for a while for late callers.
 */
export class ClientCredentialsTokens {
  private readonly issued = new WeakSet<object>();
  private readonly flight = new KeyedSingleFlight<string, OAuth2Token>();
  private readonly recent = new Map<string, { token: OAuth2Token; at: number }>();

  constructor(
    private readonly name: string,
    private readonly fetch: () => Promise<OAuth2Token>,
    private readonly announce: (event: TokenUpdateEvent) => Promise<void>,
  ) {}

  /** Marks a token as obtained with client credentials. */
  remember(token: OAuth2Token): OAuth2Token {
    this.issued.add(token);
    return token;
  }

  isOwn(token: OAuth2Token): boolean {
    return this.issued.has(token);
  }

  refetch(accessToken: string): Promise<OAuth2Token> {
    const now = Date.now();
    for (const [key, entry] of this.recent) if (now - entry.at > REMEMBER_MS) this.recent.delete(key);
    const known = this.recent.get(accessToken);
    if (known) return Promise.resolve(known.token);
    return this.flight.run(accessToken, async () => {
      const fresh = this.remember(await this.fetch());
      await this.announce({ name: this.name, token: fresh, accessToken });
      this.recent.set(accessToken, { token: fresh, at: Date.now() });
      return fresh;
    });
  }
}
