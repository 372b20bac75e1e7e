import type { ResolvedClientConfig } from '../../config/resolved-client.js';
import type { HttpSettings } from '../../http/provider-http.js';
import { DEFAULTS } from '../../oauth.constants.js';
import { ServerMetadataLoader, type ServerMetadata } from '../oidc/server-metadata.js';
import { runHook } from '../run-hook.js';

/** Endpoints of a client: configured ones win, discovery fills the rest. */
export interface OAuth2Endpoints {
  issuer?: string;
  authorizationEndpoint?: string;
  tokenEndpoint?: string;
  refreshEndpoint?: string;
  userinfoEndpoint?: string;
  jwksUri?: string;
  revocationEndpoint?: string;
  introspectionEndpoint?: string;
  endSessionEndpoint?: string;
  pushedAuthorizationRequestEndpoint?: string;
  requirePushedAuthorizationRequests: boolean;
  idTokenSigningAlgs?: readonly string[];
  issParameterSupported: boolean;
}

/**
 * Merges configured endpoints over the discovery document. Recomputed only when
 * discovery hands out a new document (after its TTL), so a login pays for a cache
 * hit, not a merge.
 */
export class EndpointResolver {
  private readonly metadata?: ServerMetadataLoader;
  private cache?: { source: ServerMetadata | undefined; endpoints: OAuth2Endpoints };

  constructor(
    private readonly config: ResolvedClientConfig,
    http: () => HttpSettings,
  ) {
    if (config.serverMetadataUrl) {
      const hook = config.hooks?.serverMetadata;
      this.metadata = new ServerMetadataLoader(
        config.serverMetadataUrl,
        config.issuer,
        http,
        DEFAULTS.metadataTtl,
        hook ? (doc) => runHook(config.name, 'serverMetadata', () => hook(doc)) : undefined,
      );
    }
  }

  /** The discovery document, or one made of the configured endpoints. */
  async serverMetadata(): Promise<ServerMetadata> {
    return this.merge(this.metadata ? await this.metadata.get() : undefined);
  }

  async get(): Promise<OAuth2Endpoints> {
    const discovered = this.metadata ? await this.metadata.get() : undefined;
    if (this.cache && this.cache.source === discovered) return this.cache.endpoints;
    const m = this.merge(discovered);
    const endpoints: OAuth2Endpoints = {
      issuer: m.issuer === '' ? undefined : m.issuer,
      authorizationEndpoint: m.authorization_endpoint,
      tokenEndpoint: m.token_endpoint,
      refreshEndpoint: this.config.refreshTokenUrl ?? m.token_endpoint,
      userinfoEndpoint: m.userinfo_endpoint,
      jwksUri: m.jwks_uri,
      revocationEndpoint: m.revocation_endpoint,
      introspectionEndpoint: m.introspection_endpoint,
      endSessionEndpoint: stringOrUndefined(m.end_session_endpoint),
      pushedAuthorizationRequestEndpoint: stringOrUndefined(m.pushed_authorization_request_endpoint),
      requirePushedAuthorizationRequests: m.require_pushed_authorization_requests === true,
      idTokenSigningAlgs: m.id_token_signing_alg_values_supported,
      issParameterSupported: m.authorization_response_iss_parameter_supported === true,
    };
    this.cache = { source: discovered, endpoints };
    return endpoints;
  }

  private merge(discovered: ServerMetadata | undefined): ServerMetadata {
    const c = this.config;
    const doc: ServerMetadata = { ...(discovered ?? {}), issuer: c.issuer ?? discovered?.issuer ?? '' };
    const set = (key: string, value: string | undefined) => {
      if (value !== undefined) doc[key] = value;
    };
    set('authorization_endpoint', c.authorizeUrl);
    set('token_endpoint', c.accessTokenUrl);
    set('userinfo_endpoint', c.userinfoUrl);
    set('jwks_uri', c.jwksUrl);
    set('revocation_endpoint', c.revocationUrl);
    set('introspection_endpoint', c.introspectionUrl);
    return doc;
  }
}

function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
