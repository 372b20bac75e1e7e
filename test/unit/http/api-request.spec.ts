import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiRequest } from '../../../lib/http/api-request.js';
import type { HttpSettings } from '../../../lib/http/provider-http.js';

let server: Server;
let origin: string;
const seen: string[] = [];
const http: HttpSettings = { fetch: globalThis.fetch, timeout: 10_000 };

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    if (req.url === '/hang') return;
    if (req.url === '/redirect') {
      res.writeHead(302, { location: '/elsewhere' });
      return res.end();
    }
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ authorization: req.headers.authorization ?? null }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

describe('apiRequest', () => {
  it('hands the response back unread', async () => {
    const res = await apiRequest(new URL(`${origin}/me`), { method: 'GET', headers: { authorization: 'Bearer t' } }, http);
    expect(res.bodyUsed).toBe(false);
    expect(await res.json()).toEqual({ authorization: 'Bearer t' });
  });

  it('does not carry the token to where a redirect points', async () => {
    seen.length = 0;
    const res = await apiRequest(new URL(`${origin}/redirect`), { method: 'GET', headers: { authorization: 'Bearer t' } }, http);
    expect(res.status).toBe(302);
    expect(seen).toEqual(['GET /redirect']);
  });

  it('sends nothing when a header value is invalid, and says so', async () => {
    seen.length = 0;
    await expect(apiRequest(new URL(`${origin}/me`), { method: 'GET', headers: { authorization: 'Bearer a\r\nb' } }, http)).rejects.toMatchObject({
      code: 'provider_unavailable',
      message: `The request to the API at ${origin} could not be built (an invalid URL or header value); nothing was sent.`,
    });
    expect(seen).toEqual([]);
  });

  it('bounds the wait for the answer', async () => {
    await expect(apiRequest(new URL(`${origin}/hang`), { method: 'GET' }, { ...http, timeout: 200 })).rejects.toMatchObject({
      code: 'timeout',
      message: `The API at ${origin} did not answer within 200 ms.`,
    });
  });
});
