import { decodeJwt } from 'jose';
import { OAuthValidationError } from '../../errors/oauth.error.js';
import { KeyedSingleFlight } from '../../http/keyed-single-flight.js';
import type { OAuth2Token, TokenUpdateEvent } from '../../interfaces/oauth-token.interface.js';
import type { OAuthRefreshCoordinator } from '../../refresh/oauth-refresh-coordinator.js';

/** A refresh the provider answered: kept so a retry never re-sends a used refresh token. */
interface RefreshOutcome {
  token: OAuth2Token;
  event: TokenUpdateEvent;
  /** `updateToken` resolved and `tokenUpdate$` emitted. */
  announced: boolean;
  at: number;
}

export interface TokenRefresherDeps {
  name: string;
  refreshLeeway: () => number;
  /** Sends the refresh request and validates the answer (ID token included). */
  request: (old: OAuth2Token, refreshToken: string) => Promise<OAuth2Token>;
  /** Runs `updateToken` then emits `tokenUpdate$`; throws `token_update_failed`. */
  announce: (event: TokenUpdateEvent) => Promise<void>;
  /** Shares one refresh across a fleet; `undefined` for one instance. */
  coordinator?: OAuthRefreshCoordinator;
  /** Milliseconds a call waits for another instance's refresh. */
  timeoutMs: () => number;
}

const OUTCOME_TTL_MS = 5 * 60_000;

/**
 * One refresh per refresh token. Providers that rotate refresh tokens revoke the
 * whole grant when an old one is used again (RFC 9700 section 4.14.2), so
 * concurrent callers share one request, late callers holding the old token get
 * the new one, and a refresh whose `updateToken` failed is stored again on retry
 * instead of being sent again.
 */
export class TokenRefresher {
  private readonly flight = new KeyedSingleFlight<string, OAuth2Token>();
  private readonly outcomes = new Map<string, RefreshOutcome>();

  constructor(private readonly deps: TokenRefresherDeps) {}

  refresh(token: OAuth2Token, refreshToken: string): Promise<OAuth2Token> {
    return this.flight.run(refreshToken, async () => {
      this.prune();
      const done = this.outcomes.get(refreshToken);
      if (done && !done.announced) return this.announce(done);
      // A refresh token that does not rotate is used again once the token it gave
      // nears expiry; until then the answer is shared.
      if (done && !this.expiresSoon(done.token)) return done.token;
      const { token: fresh, refreshedHere } = await this.request(token, refreshToken);
      const outcome: RefreshOutcome = {
        token: fresh,
        event: { name: this.deps.name, token: fresh, refreshToken, accessToken: token.access_token },
        // updateToken and tokenUpdate$ run once, on the instance that refreshed.
        announced: !refreshedHere,
        at: Date.now(),
      };
      this.outcomes.set(refreshToken, outcome);
      return refreshedHere ? this.announce(outcome) : fresh;
    });
  }

  private async request(token: OAuth2Token, refreshToken: string): Promise<{ token: OAuth2Token; refreshedHere: boolean }> {
    const coordinator = this.deps.coordinator;
    if (!coordinator) return { token: await this.deps.request(token, refreshToken), refreshedHere: true };
    return coordinator.run(refreshToken, () => this.deps.request(token, refreshToken), { client: this.deps.name, timeoutMs: this.deps.timeoutMs() });
  }

  expiresSoon(token: OAuth2Token): boolean {
    return typeof token.expires_at === 'number' && token.expires_at - this.deps.refreshLeeway() <= Date.now() / 1000;
  }

  private async announce(outcome: RefreshOutcome): Promise<OAuth2Token> {
    await this.deps.announce(outcome.event);
    outcome.announced = true;
    outcome.at = Date.now();
    return outcome.token;
  }

  private prune(): void {
    const now = Date.now();
    for (const [key, outcome] of this.outcomes) {
      if (outcome.announced && now - outcome.at > OUTCOME_TTL_MS) this.outcomes.delete(key);
    }
  }
}

/**
 * OpenID Core 12.2: a refreshed ID token must be about the same user, from the
 * same issuer, for the same client.
 */
export function assertSameSubject(old: OAuth2Token, claims: Record<string, unknown>): void {
  const before = old.userinfo ?? (typeof old.id_token === 'string' ? safeDecode(old.id_token) : undefined);
  if (!before) return;
  for (const claim of ['iss', 'sub', 'aud', 'azp']) {
    if (JSON.stringify(before[claim]) !== JSON.stringify(claims[claim])) {
      throw new OAuthValidationError('invalid_id_token', `The refreshed ID token changes "${claim}"; it is refused.`);
    }
  }
}

function safeDecode(jwt: string): Record<string, unknown> | undefined {
  try {
    return decodeJwt(jwt) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
