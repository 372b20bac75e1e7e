import type { ResolvedClientConfig } from '../../config/resolved-client.js';
import { OAuthValidationError } from '../../errors/oauth.error.js';
import type { HttpSettings } from '../../http/provider-http.js';
import type { OAuth2Token, UserInfo } from '../../interfaces/oauth-token.interface.js';
import { decodeJwt } from 'jose';
import { validateIdToken } from '../oidc/id-token.validator.js';
import { runHook } from '../run-hook.js';
import { JwksCache } from '../oidc/jwks-cache.js';
import type { SignatureRules } from '../oidc/signed-jwt.js';
import type { EndpointResolver, OAuth2Endpoints } from './endpoints.js';

/** What one ID token must match beyond the client's settings. */
export interface IdTokenContext {
  /** The nonce sent at login; `null` after a refresh, where none is expected. */
  nonce: string | null;
  /** Seconds: `auth_time` must be at most this old (OpenID Core 3.1.3.7 #11). */
  maxAge?: number;
}

/** The client's ID token checks: algorithms from config or discovery, keys from its JWKS. */
export class IdTokenVerifier {
  readonly jwks: JwksCache;

  constructor(
    private readonly config: ResolvedClientConfig,
    endpoints: EndpointResolver,
    http: () => HttpSettings,
  ) {
    this.jwks = new JwksCache(async () => {
      const url = (await endpoints.get()).jwksUri;
      if (!url) {
        throw new OAuthValidationError('invalid_id_token', `OAuth client "${config.name}" has no JWKS: set jwksUrl or serverMetadataUrl.`);
      }
      return url;
    }, http);
  }

  async verify(token: OAuth2Token, endpoints: OAuth2Endpoints, ctx: IdTokenContext): Promise<UserInfo> {
    const c = this.config;
    if (!endpoints.issuer) {
      throw new OAuthValidationError('invalid_id_token', `OAuth client "${c.name}" received an ID token but knows no issuer: set issuer or serverMetadataUrl.`);
    }
    const jwt = token.id_token as string;
    const hooks = c.hooks;
    const expectedIssuer = endpoints.issuer;
    // A multi-tenant provider names its issuer per tenant (Microsoft's {tenantid}):
    // the preset works out the one this token must carry before anything is trusted.
    const issuerOf = hooks?.idTokenIssuer;
    const issuer = issuerOf ? await runHook(c.name, 'idTokenIssuer', () => issuerOf.call(hooks, unverifiedClaims(jwt), expectedIssuer)) : expectedIssuer;
    const claims = await validateIdToken(jwt, {
      ...this.signatureRules(endpoints),
      issuer,
      clientId: c.clientId,
      leeway: c.leeway,
      ...(ctx.nonce === null ? {} : { nonce: ctx.nonce }),
      ...(hooks?.idTokenNonce === 'if-present' ? { nonceIfPresent: true } : {}),
      ...(ctx.maxAge === undefined ? {} : { maxAge: ctx.maxAge }),
      accessToken: token.access_token,
    });
    const more = hooks?.idTokenClaims;
    if (more) await runHook(c.name, 'idTokenClaims', () => more.call(hooks, claims));
    return claims;
  }

  /**
   * How the provider's JWTs must be signed: the ID-token rules, which logout tokens
   * follow too (OpenID Back-Channel Logout 1.0 section 2.6 step 3).
   */
  signatureRules(endpoints: OAuth2Endpoints): SignatureRules {
    const c = this.config;
    const explicit = c.idTokenSigningAlgs;
    // HS* is keyed by the client secret, which the provider's discovery cannot
    // decide on our behalf: only an explicit setting admits it.
    const algorithms = (explicit ?? endpoints.idTokenSigningAlgs?.filter((a) => !a.startsWith('HS')) ?? ['RS256']).filter(
      (a) => a.toLowerCase() !== 'none',
    );
    return {
      algorithms: algorithms.length > 0 ? algorithms : ['RS256'],
      allowHmac: explicit?.some((a) => a.startsWith('HS')) ?? false,
      ...(c.clientSecret === undefined ? {} : { clientSecret: c.clientSecret }),
      jwks: this.jwks,
    };
  }
}

/** Claims read before verification, only to pick the issuer to verify against. */
function unverifiedClaims(jwt: string): Readonly<Record<string, unknown>> {
  try {
    return decodeJwt(jwt) as Record<string, unknown>;
  } catch {
    // The signature check that follows refuses the token with the right message.
    return {};
  }
}
