import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientAuthenticator } from '../../../lib/clients/oauth2/client-auth.js';
import { randomToken, s256Challenge } from '../../../lib/clients/oauth2/pkce.js';
import { ServerMetadataLoader, issuerForUrl } from '../../../lib/clients/oidc/server-metadata.js';
import { tokenHash } from '../../../lib/clients/oidc/id-token.validator.js';
import { validateClientConfig } from '../../../lib/config/validate-client.js';

describe('ServerMetadataLoader', () => {
  let server: Server;
  let origin: string;
  let hits = 0;
  let down = false;
  let issuerOverride: string | undefined;
  beforeAll(async () => {
    server = createServer((_req, res) => {
      hits++;
      if (down) {
        res.writeHead(503);
        return res.end();
      }
      // Slow enough that concurrent callers overlap.
      setTimeout(() => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ issuer: issuerOverride ?? `${origin}/tenant`, token_endpoint: `${origin}/token` }));
      }, 30);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
  });
  const http = () => ({ fetch: globalThis.fetch, timeout: 2000 });

  it('fetches once for concurrent callers, then serves from cache until the TTL', async () => {
    hits = 0;
    const loader = new ServerMetadataLoader(`${origin}/tenant/.well-known/openid-configuration`, undefined, http, 0.2);
    const docs = await Promise.all(Array.from({ length: 20 }, () => loader.get()));
    expect(hits).toBe(1);
    expect(new Set(docs).size).toBe(1);
    await loader.get();
    expect(hits).toBe(1);
    await new Promise((r) => setTimeout(r, 250));
    await loader.get();
    expect(hits).toBe(2);
  });

  it('does not cache a failure: the next call tries again', async () => {
    hits = 0;
    const loader = new ServerMetadataLoader(`${origin}/tenant/.well-known/openid-configuration`, undefined, http);
    down = true;
    await expect(loader.get()).rejects.toMatchObject({ code: 'provider_unavailable' });
    down = false;
    await expect(loader.get()).resolves.toMatchObject({ issuer: `${origin}/tenant` });
    expect(hits).toBe(2);
  });

  it('refuses a document for another issuer (OpenID Discovery 4.3, RFC 8414 3.3)', async () => {
    issuerOverride = 'https://impostor.example';
    try {
      const loader = new ServerMetadataLoader(`${origin}/tenant/.well-known/openid-configuration`, undefined, http);
      await expect(loader.get()).rejects.toMatchObject({ code: 'invalid_server_metadata' });
    } finally {
      issuerOverride = undefined;
    }
  });

  it('derives the issuer from both well-known forms', () => {
    expect(issuerForUrl('https://op.example/.well-known/openid-configuration')).toBe('https://op.example');
    expect(issuerForUrl('https://op.example/t1/.well-known/openid-configuration')).toBe('https://op.example/t1');
    expect(issuerForUrl('https://op.example/.well-known/oauth-authorization-server/t1')).toBe('https://op.example/t1');
    expect(issuerForUrl('https://op.example/custom/metadata.json')).toBeUndefined();
  });
});

describe('client authentication', () => {
  it('client_secret_basic form-urlencodes id and secret before Base64 (RFC 6749 2.3.1)', async () => {
    const config = validateClientConfig('c', { clientId: 'my client:1', clientSecret: 'p@ss word/+=', accessTokenUrl: 'https://op.example/token' });
    const headers: Record<string, string> = {};
    const body = new URLSearchParams();
    await new ClientAuthenticator(config).apply(body, headers, 'https://op.example');
    expect(Buffer.from(headers.authorization!.slice('Basic '.length), 'base64').toString()).toBe('my+client%3A1:p%40ss+word%2F%2B%3D');
    expect(body.toString()).toBe('');
  });

  it('client_secret_post and none put credentials in the body', async () => {
    const post = validateClientConfig('c', { clientId: 'id', clientSecret: 's', tokenEndpointAuthMethod: 'client_secret_post', accessTokenUrl: 'https://op.example/token' });
    const headers: Record<string, string> = {};
    const body = new URLSearchParams();
    await new ClientAuthenticator(post).apply(body, headers, 'https://op.example');
    expect(headers).toEqual({});
    expect(body.toString()).toBe('client_id=id&client_secret=s');
    const none = validateClientConfig('c', { clientId: 'id', accessTokenUrl: 'https://op.example/token' });
    const b2 = new URLSearchParams();
    await new ClientAuthenticator(none).apply(b2, {}, 'https://op.example');
    expect(b2.toString()).toBe('client_id=id');
  });

  it('client_secret_jwt: iss = sub = client_id, aud the issuer as one string, unique jti, short life', async () => {
    const config = validateClientConfig('c', { clientId: 'id', clientSecret: 'k'.repeat(32), tokenEndpointAuthMethod: 'client_secret_jwt', accessTokenUrl: 'https://op.example/token' });
    const auth = new ClientAuthenticator(config);
    const claims = [];
    for (let i = 0; i < 2; i++) {
      const body = new URLSearchParams();
      await auth.apply(body, {}, 'https://op.example');
      expect(body.get('client_assertion_type')).toBe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
      claims.push(JSON.parse(Buffer.from(body.get('client_assertion')!.split('.')[1]!, 'base64url').toString()) as Record<string, number | string>);
    }
    expect(claims[0]).toMatchObject({ iss: 'id', sub: 'id', aud: 'https://op.example' });
    expect(claims[0]!.jti).not.toBe(claims[1]!.jti);
    expect(Number(claims[0]!.exp) - Number(claims[0]!.iat)).toBeLessThanOrEqual(300);
  });
});

describe('PKCE and hashes', () => {
  it('RFC 7636 appendix B: the S256 challenge of the example verifier', () => {
    expect(s256Challenge('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
  });

  it('verifiers, states and nonces are 43 characters of fresh randomness', () => {
    const seen = new Set(Array.from({ length: 1000 }, randomToken));
    expect(seen.size).toBe(1000);
    for (const v of seen) expect(v).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('at_hash is the left half of the hash of the token (OIDC Core 3.1.3.6)', () => {
    // OIDC Core appendix A.3's access token and at_hash.
    expect(tokenHash('jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y', 'RS256')).toBe('77QmUPtjPfzWtF2AnpK9RQ');
  });
});
