/**
 * oidc-provider configured the FAPI 2.0 way for pushed authorization requests and
 * DPoP: every authorization request must be pushed (RFC 9126 section 5), clients
 * registered with `fapiClient()` get only DPoP-bound tokens (RFC 9449 section 5.2),
 * and every DPoP proof must carry a server nonce (section 8), so each client meets
 * a `use_dpop_nonce` challenge. Introspection answers `cnf.jkt` for bound tokens.
 */
import { randomBytes } from 'node:crypto';
import { PROVIDER_PATHS, startOidcProvider, type ClientMetadata, type OidcProviderHarness, type OidcProviderOptions } from './oidc-provider.js';

export const FAPI_PATHS = Object.freeze({ ...PROVIDER_PATHS, par: '/request' });

export interface FapiProviderOptions extends Omit<OidcProviderOptions, 'features'> {
  /** Refuse authorization requests that were not pushed (default true). */
  requirePar?: boolean;
  /** Demand a server nonce in every DPoP proof (default true). */
  requireNonce?: boolean;
}

export async function startFapiProvider(opts: FapiProviderOptions = {}): Promise<OidcProviderHarness> {
  const requireNonce = opts.requireNonce ?? true;
  return startOidcProvider({
    ...opts,
    features: {
      pushedAuthorizationRequests: { enabled: true, requirePushedAuthorizationRequests: opts.requirePar ?? true },
      dPoP: { enabled: true, nonceSecret: randomBytes(32), requireNonce: () => requireNonce },
    },
  });
}

/** Client metadata that gets DPoP-bound tokens only: a request without a proof is refused. */
export function fapiClient(metadata: ClientMetadata): ClientMetadata {
  return { dpop_bound_access_tokens: true, ...metadata };
}
