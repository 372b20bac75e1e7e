import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EndpointResolver } from '../../../../lib/clients/oauth2/endpoints.js';
import { validateClientConfig } from '../../../../lib/config/validate-client.js';
import type { HttpSettings } from '../../../../lib/http/provider-http.js';
import { PROVIDER_PATHS, startOidcProvider, type OidcProviderHarness } from '../../../support/oidc-provider.js';

let op: OidcProviderHarness;
let doc: Record<string, unknown>;
const http = (): HttpSettings => ({ fetch: globalThis.fetch, timeout: 10_000 });

beforeAll(async () => {
  op = await startOidcProvider();
  doc = (await (await fetch(op.discoveryUrl)).json()) as Record<string, unknown>;
});
afterAll(async () => {
  await op.close();
});

function resolver(extra: Record<string, unknown>) {
  return new EndpointResolver(validateClientConfig('op', { clientId: 'c', clientSecret: 's', ...extra }), http);
}

describe('EndpointResolver', () => {
  it('takes every endpoint from discovery when none is configured', async () => {
    const e = await resolver({ serverMetadataUrl: op.discoveryUrl }).get();
    expect(e).toMatchObject({
      issuer: op.issuer,
      authorizationEndpoint: doc.authorization_endpoint,
      tokenEndpoint: doc.token_endpoint,
      refreshEndpoint: doc.token_endpoint,
      userinfoEndpoint: doc.userinfo_endpoint,
      jwksUri: doc.jwks_uri,
      revocationEndpoint: doc.revocation_endpoint,
      introspectionEndpoint: doc.introspection_endpoint,
      idTokenSigningAlgs: doc.id_token_signing_alg_values_supported,
      issParameterSupported: doc.authorization_response_iss_parameter_supported === true,
      requirePushedAuthorizationRequests: false,
    });
    expect(e.tokenEndpoint).toBe(`${op.issuer}${PROVIDER_PATHS.token}`);
  });

  it('lets configured endpoints win over discovery, and discovery fill the rest', async () => {
    const configured = {
      authorizeUrl: 'https://login.example/authorize',
      accessTokenUrl: 'https://login.example/token',
      refreshTokenUrl: 'https://login.example/refresh',
      userinfoUrl: 'https://login.example/me',
      revocationUrl: 'https://login.example/revoke',
    };
    const r = resolver({ serverMetadataUrl: op.discoveryUrl, ...configured });
    const e = await r.get();
    expect(e).toMatchObject({
      issuer: op.issuer,
      authorizationEndpoint: configured.authorizeUrl,
      tokenEndpoint: configured.accessTokenUrl,
      refreshEndpoint: configured.refreshTokenUrl,
      userinfoEndpoint: configured.userinfoUrl,
      revocationEndpoint: configured.revocationUrl,
      // Not configured: from discovery.
      jwksUri: doc.jwks_uri,
      introspectionEndpoint: doc.introspection_endpoint,
    });
    // The merged document says the same.
    const merged = await r.serverMetadata();
    expect(merged.authorization_endpoint).toBe(configured.authorizeUrl);
    expect(merged.token_endpoint).toBe(configured.accessTokenUrl);
    expect(merged.jwks_uri).toBe(doc.jwks_uri);
  });

  it('without discovery uses the configured endpoints only and asks nobody', async () => {
    op.resetRequests();
    const e = await resolver({
      issuer: 'https://login.example',
      authorizeUrl: 'https://login.example/authorize',
      accessTokenUrl: 'https://login.example/token',
      jwksUrl: 'https://login.example/jwks',
    }).get();
    expect(e).toEqual({
      issuer: 'https://login.example',
      authorizationEndpoint: 'https://login.example/authorize',
      tokenEndpoint: 'https://login.example/token',
      refreshEndpoint: 'https://login.example/token',
      userinfoEndpoint: undefined,
      jwksUri: 'https://login.example/jwks',
      revocationEndpoint: undefined,
      introspectionEndpoint: undefined,
      endSessionEndpoint: undefined,
      pushedAuthorizationRequestEndpoint: undefined,
      requirePushedAuthorizationRequests: false,
      idTokenSigningAlgs: undefined,
      issParameterSupported: false,
    });
    expect(op.requests).toEqual([]);
  });

  it('has no issuer when neither configuration nor discovery gives one', async () => {
    const e = await resolver({ authorizeUrl: 'https://login.example/a', accessTokenUrl: 'https://login.example/t' }).get();
    expect(e.issuer).toBeUndefined();
  });

  it('merges once per discovery document: repeated calls share one result and one request', async () => {
    op.resetRequests();
    const r = resolver({ serverMetadataUrl: op.discoveryUrl, authorizeUrl: 'https://login.example/authorize' });
    const [a, b] = await Promise.all([r.get(), r.get()]);
    const c = await r.get();
    expect(b).toBe(a);
    expect(c).toBe(a);
    expect(op.count(PROVIDER_PATHS.discovery)).toBe(1);
  });
});
