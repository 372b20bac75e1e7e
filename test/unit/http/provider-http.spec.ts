import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseJsonObject, providerRequest, type HttpSettings } from '../../../lib/http/provider-http.js';
import { undiciFetch } from '../../../lib/http/undici-transport.js';

let server: Server;
let origin: string;
// Both transports keep the same guarantees: undici (no fetch option) and an injected fetch.
// Generous for requests that must succeed (the machine may be busy); short only where
// the timeout itself is under test.
const TRANSPORTS: Array<[string, HttpSettings]> = [
  ['undici', { fetch: undiciFetch, timeout: 10_000 }],
  ['injected fetch', { fetch: (input, init) => globalThis.fetch(input, init), timeout: 10_000 }],
];

beforeAll(async () => {
  server = createServer((req, res) => {
    switch (req.url) {
      case '/ok':
        res.setHeader('content-type', 'application/json');
        return res.end('{"a":1}');
      case '/hang':
        return; // never answers
      case '/slow-body':
        res.writeHead(200);
        res.write('{"a":');
        return; // body never finishes
      case '/reset':
        return req.socket.destroy();
      case '/huge': {
        // Streams without a length until the client gives up.
        res.writeHead(200, { 'content-type': 'application/json' });
        const chunk = Buffer.alloc(64 * 1024, 0x20);
        const pump = () => {
          while (res.write(chunk)) if (res.destroyed) return;
          res.once('drain', pump);
        };
        res.on('error', () => undefined);
        return pump();
      }
      case '/declared-huge':
        res.writeHead(200, { 'content-length': String(50 * 1024 * 1024) });
        return res.write('x');
      case '/redirect':
        res.writeHead(302, { location: '/ok' });
        return res.end();
      default:
        res.writeHead(500);
        return res.end('<html>oops</html>');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const req = (what = 'token endpoint') => ({ maxBytes: 1024 * 1024, what });

describe.each(TRANSPORTS)('providerRequest through %s', (_, http) => {
  it('reads a small body', async () => {
    const res = await providerRequest(`${origin}/ok`, req(), http);
    expect(parseJsonObject(res, 'x')).toEqual({ a: 1 });
  });

  it('times out a hung request and a body that never ends', async () => {
    const started = Date.now();
    const short = { ...http, timeout: 300 };
    await expect(providerRequest(`${origin}/hang`, req(), short)).rejects.toMatchObject({
      code: 'timeout',
      message: 'The token endpoint did not answer within 300 ms.',
    });
    await expect(providerRequest(`${origin}/slow-body`, req(), short)).rejects.toMatchObject({ code: 'timeout' });
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('reports a reset connection and a closed port as provider_unavailable', async () => {
    await expect(providerRequest(`${origin}/reset`, req(), http)).rejects.toMatchObject({ code: 'provider_unavailable' });
    await expect(providerRequest('http://127.0.0.1:1/x', req(), http)).rejects.toMatchObject({ code: 'provider_unavailable' });
  });

  it('stops reading a body over its cap, declared or streamed', async () => {
    await expect(providerRequest(`${origin}/huge`, req('JWKS endpoint'), http)).rejects.toMatchObject({
      code: 'response_too_large',
      message: 'The JWKS endpoint answered more than 1048576 bytes; the body was not read further.',
    });
    await expect(providerRequest(`${origin}/declared-huge`, req(), http)).rejects.toMatchObject({ code: 'response_too_large' });
  });

  it('does not follow redirects', async () => {
    const res = await providerRequest(`${origin}/redirect`, req(), http);
    expect(res.status).toBe(302);
  });

  it('maps an HTML 500 to provider_unavailable when parsing', async () => {
    const res = await providerRequest(`${origin}/boom`, req(), http);
    expect(() => parseJsonObject(res, 'token endpoint')).toThrow(expect.objectContaining({ code: 'provider_unavailable', status: 500 }));
  });
});
