/**
 * The default transport (undici's dispatcher, no `fetch` option) against a real
 * `node:http` server: API calls hand back a fetch `Response` streamed from undici's
 * chunks, provider requests keep their cap and deadline, nothing follows a redirect,
 * no header value (a token) reaches an error, and an injected fetch replaces it all.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { gzipSync } from 'node:zlib';
import { getGlobalDispatcher, MockAgent, setGlobalDispatcher } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { apiRequest } from '../../../lib/http/api-request.js';
import { providerRequest, type HttpSettings } from '../../../lib/http/provider-http.js';
import { defaultFetch, undiciFetch } from '../../../lib/http/undici-transport.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  rawHeaders: string[];
  body: string;
}

let server: Server;
let origin: string;
let seen: Seen[] = [];
let connections = 0;
/** Bytes `/stream` managed to write before its connection closed, once it closed. */
let streamed: Promise<number> | undefined;
/** Bytes `/stream` has written so far. */
let streaming = 0;

const TOKEN = 'tok-3f9a1c-secret';
const http: HttpSettings = { fetch: undiciFetch, timeout: 300 };

function route(req: IncomingMessage, res: ServerResponse, body: string): void {
  const path = new URL(req.url!, 'http://x').pathname;
  switch (path) {
    case '/echo':
      res.setHeader('content-type', 'application/json');
      res.appendHeader('set-cookie', ['a=1; Path=/', 'b=2; Path=/']);
      return void res.end(JSON.stringify({ method: req.method, body }));
    case '/redirect':
      res.writeHead(302, { location: `${origin}/echo` });
      return void res.end();
    case '/hang':
      return; // never answers
    case '/late-body':
      // Headers now, the body after the deadline: an API call's caller owns the body.
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('first ');
      return void setTimeout(() => res.end('and last'), 600);
    case '/reset':
      return void req.socket.destroy();
    case '/no-content':
      res.writeHead(204);
      return void res.end();
    case '/gzip':
      // Compressed though nobody asked (no Accept-Encoding): decoded as fetch would.
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      return void res.end(gzipSync('{"zipped":true}'));
    case '/bomb':
      // 2 MB of spaces in a few kilobytes: over the cap once decoded.
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      return void res.end(gzipSync(Buffer.alloc(2 * 1024 * 1024, 0x20)));
    case '/stream': {
      // 64 MB offered; how much is written depends on how much the client reads.
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      let written = 0;
      streaming = 0;
      streamed = new Promise((resolve) => res.on('close', () => resolve(written)));
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      const pump = (): void => {
        while (written < 64 * 1024 * 1024) {
          written += chunk.length;
          streaming = written;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      res.on('error', () => undefined);
      return pump();
    }
    default:
      res.writeHead(503, { 'content-type': 'text/html' });
      return void res.end('<html>down</html>');
  }
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, rawHeaders: req.rawHeaders, body });
      route(req, res, body);
    });
  });
  server.on('connection', (socket: Socket) => {
    connections++;
    socket.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});
afterEach(() => {
  seen = [];
  streamed = undefined;
});

const api = (path: string, init: RequestInit = {}, settings: HttpSettings = http) =>
  apiRequest(new URL(path, origin), init as Omit<RequestInit, 'signal' | 'redirect'>, settings);

/** Every string an error carries: message, cause chain, own fields, its JSON. */
function everything(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err, depth = 0; e !== undefined && e !== null && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    parts.push(String(e), JSON.stringify(e), (e as Error).stack ?? '');
  }
  return parts.join('\n');
}

describe('API calls through undici', () => {
  it('hand back a fetch Response: status, headers (each Set-Cookie), URL, a body read once', async () => {
    const res = await api('/echo?x=1', { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` }, body: 'hello' });
    expect(res).toBeInstanceOf(Response);
    expect(res.status).toBe(200);
    expect(res.ok).toBe(true);
    expect(res.url).toBe(`${origin}/echo?x=1`);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.getSetCookie()).toEqual(['a=1; Path=/', 'b=2; Path=/']);
    expect(res.bodyUsed).toBe(false);
    expect(await res.json()).toEqual({ method: 'POST', body: 'hello' });
    expect(res.bodyUsed).toBe(true);
    await expect(res.text()).rejects.toThrow(TypeError);
    expect(seen[0]!.headers.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it("send fetch's default headers and Content-Types, the caller's own winning whatever their case", async () => {
    await api('/echo', { method: 'POST', headers: { Accept: 'application/json', 'User-Agent': 'mine' }, body: 'text' });
    await api('/echo', { method: 'POST', body: new URLSearchParams({ a: 'b c' }) });
    await api('/echo', { method: 'PUT', body: new TextEncoder().encode('bytes') });
    await api('/echo', { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: '{}' });
    await api('/echo');
    const [text, form, bytes, json, get] = seen;
    expect(text!.rawHeaders.filter((h) => /^(accept|user-agent)$/i.test(h))).toHaveLength(2);
    expect(text!.headers).toMatchObject({ accept: 'application/json', 'user-agent': 'mine', 'content-type': 'text/plain;charset=UTF-8' });
    expect(form!.headers['content-type']).toBe('application/x-www-form-urlencoded;charset=UTF-8');
    expect(form!.body).toBe('a=b+c');
    expect(bytes!.headers['content-type']).toBeUndefined();
    expect(bytes!.body).toBe('bytes');
    expect(json!.headers['content-type']).toBe('application/json');
    expect(get!.headers).toMatchObject({ accept: '*/*', 'user-agent': 'nestjs-oauth-client' });
  });

  it('do not follow a redirect: the 302 itself is answered, and nothing went to its Location', async () => {
    const res = await api('/redirect', { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe(`${origin}/echo`);
    expect(seen.map((s) => s.url)).toEqual(['/redirect']);
  });

  it('bound the wait for the headers, not the body the caller reads', async () => {
    await expect(api('/hang')).rejects.toMatchObject({ code: 'timeout', message: `The API at ${origin} did not answer within 300 ms.` });
    const late = await api('/late-body');
    expect(await late.text()).toBe('first and last');
  });

  it('report a reset as provider_unavailable, and hand back a 5xx unread', async () => {
    await expect(api('/reset')).rejects.toMatchObject({ code: 'provider_unavailable' });
    await expect(apiRequest(new URL('http://127.0.0.1:1/x'), {}, http)).rejects.toMatchObject({ code: 'provider_unavailable' });
    const res = await api('/down');
    expect(res.status).toBe(503);
    expect(await res.text()).toBe('<html>down</html>');
  });

  it('refuse a token with CR/LF before sending, and the token is nowhere in the error', async () => {
    const err = await api('/echo', { headers: { authorization: `Bearer ${TOKEN}\r\nx-injected: 1` } }).catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'provider_unavailable',
      message: `The request to the API at ${origin} could not be built (an invalid URL or header value); nothing was sent.`,
    });
    expect(everything(err)).not.toContain(TOKEN);
    expect(seen).toEqual([]);
  });

  it('refuse what fetch refuses, sending nothing: a body on GET, a URL with credentials, another scheme', async () => {
    await expect(api('/echo', { method: 'GET', body: 'x' })).rejects.toMatchObject({ code: 'provider_unavailable' });
    await expect(apiRequest(new URL(origin.replace('//', '//user:pass@') + '/echo'), {}, http)).rejects.toMatchObject({ code: 'provider_unavailable' });
    await expect(apiRequest(new URL('ftp://127.0.0.1/x'), {}, http)).rejects.toMatchObject({ code: 'provider_unavailable' });
    expect(seen).toEqual([]);
  });

  it('give no body for 204 and HEAD', async () => {
    expect((await api('/no-content', { method: 'DELETE' })).body).toBeNull();
    const head = await api('/echo', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.body).toBeNull();
  });

  it('decode a compressed body as fetch does', async () => {
    const res = await api('/gzip');
    expect(res.headers.get('content-encoding')).toBe('gzip');
    expect(await res.json()).toEqual({ zipped: true });
  });

  it('read the body only as fast as the caller does, and a cancel closes the connection', async () => {
    const res = await api('/stream');
    const reader = res.body!.getReader();
    const first = await reader.read();
    expect(first.value!.byteLength).toBeGreaterThan(0);
    // The caller stopped reading: the server is held back (its writes stall) long before 64 MB.
    let last = -1;
    while (streaming !== last) {
      last = streaming;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(streaming).toBeLessThan(32 * 1024 * 1024);
    await reader.cancel();
    expect(await streamed!).toBe(last);
  });

  it('keep the connection alive between calls', async () => {
    const before = connections;
    for (let i = 0; i < 3; i++) await (await api('/echo')).arrayBuffer();
    expect(connections - before).toBeLessThanOrEqual(1);
  });

  it('take other bodies through fetch, which streams them', async () => {
    const stream = new Blob(['from a stream']).stream();
    const res = await api('/echo', { method: 'POST', body: stream, duplex: 'half' } as RequestInit);
    expect(await res.json()).toEqual({ method: 'POST', body: 'from a stream' });
  });
});

const req = (what = 'token endpoint') => ({ maxBytes: 1024 * 1024, what });

describe('provider requests through undici', () => {
  it('decode a compressed body, with the cap applied to what it decodes to', async () => {
    const res = await providerRequest(`${origin}/gzip`, req(), http);
    expect(JSON.parse(res.body)).toEqual({ zipped: true });
    await expect(providerRequest(`${origin}/bomb`, req('JWKS endpoint'), http)).rejects.toMatchObject({
      code: 'response_too_large',
      message: 'The JWKS endpoint answered more than 1048576 bytes; the body was not read further.',
    });
  });

  it('stop reading over the cap and close the connection', async () => {
    await expect(providerRequest(`${origin}/stream`, req(), http)).rejects.toMatchObject({ code: 'response_too_large' });
    expect(await streamed!).toBeLessThan(32 * 1024 * 1024);
  });

  it('send the body given, with the headers given, and nothing to a redirect target', async () => {
    const res = await providerRequest(
      `${origin}/echo`,
      { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=x', ...req() },
      { ...http, userAgent: 'agent/1' },
    );
    expect(JSON.parse(res.body)).toEqual({ method: 'POST', body: 'grant_type=x' });
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(seen[0]!.headers).toMatchObject({ 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'agent/1', accept: '*/*' });
    expect((await providerRequest(`${origin}/redirect`, req(), http)).status).toBe(302);
    expect(seen.map((s) => s.url)).toEqual(['/echo', '/redirect']);
  });
});

describe('which transport', () => {
  it('an injected fetch carries every request; without one, the global fetch carries none', async () => {
    const calls: string[] = [];
    const injected: HttpSettings = {
      fetch: (input, init) => {
        calls.push(String(input));
        return globalThis.fetch(input, init);
      },
      timeout: 1000,
    };
    await (await api('/echo', {}, injected)).arrayBuffer();
    await providerRequest(`${origin}/echo`, { maxBytes: 1024, what: 'x' }, injected);
    expect(calls).toEqual([`${origin}/echo`, `${origin}/echo`]);

    const globalFetch = globalThis.fetch;
    let globalCalls = 0;
    globalThis.fetch = (input, init) => {
      globalCalls++;
      return globalFetch(input, init);
    };
    try {
      await (await api('/echo')).arrayBuffer();
      await providerRequest(`${origin}/echo`, { maxBytes: 1024, what: 'x' }, http);
    } finally {
      globalThis.fetch = globalFetch;
    }
    expect(globalCalls).toBe(0);
    expect(seen).toHaveLength(4);
  });

  it('no fetch option means undici, unless the global fetch was replaced since the library loaded', () => {
    expect(defaultFetch()).toBe(undiciFetch);
    const globalFetch = globalThis.fetch;
    const replaced: typeof fetch = (input, init) => globalFetch(input, init);
    globalThis.fetch = replaced;
    try {
      expect(defaultFetch()).toBe(replaced);
    } finally {
      globalThis.fetch = globalFetch;
    }
  });

  it("goes through the global dispatcher, as Node's fetch does (a proxy or a MockAgent set there applies)", async () => {
    const previous = getGlobalDispatcher();
    const mock = new MockAgent();
    mock.disableNetConnect();
    mock.get('https://mocked.example').intercept({ path: '/thing', method: 'GET' }).reply(200, '{"mocked":true}', { headers: { 'content-type': 'application/json' } });
    mock.get('https://mocked.example').intercept({ path: '/thing', method: 'GET' }).reply(200, '{"again":true}');
    setGlobalDispatcher(mock);
    try {
      expect(await (await apiRequest(new URL('https://mocked.example/thing'), {}, http)).json()).toEqual({ mocked: true });
      const res = await providerRequest('https://mocked.example/thing', { maxBytes: 1024, what: 'x' }, http);
      expect(JSON.parse(res.body)).toEqual({ again: true });
    } finally {
      setGlobalDispatcher(previous);
      await mock.close();
    }
    expect(seen).toEqual([]);
  });
});
