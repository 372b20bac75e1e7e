import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServerMetadataLoader, issuerForUrl } from '../../../../lib/clients/oidc/server-metadata.js';

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
