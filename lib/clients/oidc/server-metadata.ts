import { DEFAULTS } from '../../oauth.constants.js';
import { OAuthResponseError } from '../../errors/oauth.error.js';
import { safeText } from '../../errors/safe-text.js';
import { expectSuccess, parseJsonObject, providerRequest, type HttpSettings } from '../../http/provider-http.js';
import { SingleFlight } from '../../http/single-flight.js';

/** The members of RFC 8414 / OpenID Connect Discovery this module uses. */
export interface ServerMetadata {
  issuer: string;
  authorization_endpoint?: string;
  token_endpoint?: string;
  userinfo_endpoint?: string;
  jwks_uri?: string;
  revocation_endpoint?: string;
  introspection_endpoint?: string;
  id_token_signing_alg_values_supported?: string[];
  authorization_response_iss_parameter_supported?: boolean;
  [member: string]: unknown;
}

const OIDC_SUFFIX = '/.well-known/openid-configuration';
const RFC8414_PREFIX = '/.well-known/oauth-authorization-server';
const ENDPOINT_MEMBERS = [
  'authorization_endpoint',
  'token_endpoint',
  'userinfo_endpoint',
  'jwks_uri',
  'revocation_endpoint',
  'introspection_endpoint',
] as const;

/**
 * Loads a discovery document once, shares it, and reloads it after a TTL. A failed
 * load is not cached: a provider that was down at boot works as soon as it is back.
 */
export class ServerMetadataLoader {
  private cached?: { metadata: ServerMetadata; at: number };
  private readonly flight = new SingleFlight<ServerMetadata>();

  constructor(
    private readonly url: string,
    private readonly expectedIssuer: string | undefined,
    private readonly http: () => HttpSettings,
    private readonly ttlSeconds: number = DEFAULTS.metadataTtl,
    /** A compliance hook that repairs the document before it is checked. */
    private readonly repair?: (doc: Record<string, unknown>) => Promise<Record<string, unknown>>,
  ) {}

  async get(): Promise<ServerMetadata> {
    if (this.cached && Date.now() - this.cached.at < this.ttlSeconds * 1000) return this.cached.metadata;
    return this.flight.run(async () => {
      const metadata = await this.fetch();
      this.cached = { metadata, at: Date.now() };
      return metadata;
    });
  }

  private async fetch(): Promise<ServerMetadata> {
    const what = 'discovery endpoint';
    const res = await providerRequest(
      this.url,
      { headers: { accept: 'application/json' }, maxBytes: DEFAULTS.maxMetadataBytes, what },
      this.http(),
    );
    expectSuccess(res, what);
    const parsed = parseJsonObject(res, what);
    const doc = this.repair ? await this.repair(parsed) : parsed;
    if (typeof doc.issuer !== 'string' || doc.issuer === '') {
      throw new OAuthResponseError('invalid_server_metadata', 'The discovery document has no issuer.');
    }
    const issuer = doc.issuer;
    const fromUrl = issuerForUrl(this.url);
    const expected = this.expectedIssuer ?? fromUrl;
    // OpenID Connect Discovery 4.3 / RFC 8414 section 3.3: a document naming another
    // issuer than the one it was fetched for could send logins to an impostor. The
    // well-known path is appended after removing the issuer's trailing slash.
    const matches =
      expected === undefined ||
      issuer === expected ||
      (this.expectedIssuer === undefined && issuer.endsWith('/') && issuer.slice(0, -1) === expected);
    if (!matches) {
      // The provider's issuer is escaped and cut (it lands in log lines); the
      // discovery URL and the expected issuer are left out: the message reaches
      // the 502 body, and they may name an internal host.
      throw new OAuthResponseError(
        'invalid_server_metadata',
        `The discovery document names issuer "${safeText(issuer, 200)}", not the one it was fetched for; its endpoints are not used.`,
      );
    }
    for (const key of ENDPOINT_MEMBERS) {
      const value = doc[key];
      if (value === undefined) continue;
      if (typeof value !== 'string' || !isHttpUrl(value)) {
        throw new OAuthResponseError('invalid_server_metadata', `The discovery document's ${key} is not an http(s) URL.`);
      }
    }
    const algs = doc.id_token_signing_alg_values_supported;
    if (algs !== undefined && !(Array.isArray(algs) && algs.every((a) => typeof a === 'string'))) {
      throw new OAuthResponseError(
        'invalid_server_metadata',
        "The discovery document's id_token_signing_alg_values_supported is not a list of names.",
      );
    }
    return Object.freeze(doc) as ServerMetadata;
  }
}

/** The issuer a well-known URL stands for, or `undefined` for a custom location. */
export function issuerForUrl(url: string): string | undefined {
  const u = new URL(url);
  if (u.pathname.endsWith(OIDC_SUFFIX)) {
    return u.origin + u.pathname.slice(0, -OIDC_SUFFIX.length);
  }
  if (u.pathname.startsWith(RFC8414_PREFIX)) {
    return u.origin + u.pathname.slice(RFC8414_PREFIX.length);
  }
  return undefined;
}

function isHttpUrl(value: string): boolean {
  try {
    const u = new URL(value);
    return u.protocol === 'https:' || u.protocol === 'http:';
  } catch {
    return false;
  }
}
