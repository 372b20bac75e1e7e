/**
 * A small protected resource server (RFC 6750) for end-to-end tests of API calls, on
 * a free loopback port. It checks every bearer token by asking the provider's
 * introspection endpoint (RFC 7662) with its own client credentials, so "the call
 * succeeded" means the provider itself vouched for the token that arrived.
 *
 * - `/public/...` answers without looking at credentials.
 * - Every other path is protected: no bearer -> 401; an inactive token -> 401
 *   `invalid_token`; an active one -> 200 with what the introspection said.
 *   The bearer is read from the Authorization header (RFC 6750 2.1), a form body
 *   (2.2) or the query (2.3), and the answer says where it was; more than one of
 *   them is a 400 `invalid_request` (RFC 6750 section 2).
 * - Paths in `hang` never answer; paths in `redirects` answer 302 to their target.
 * - Headers in `requiredHeaders` must come with every protected request, as an
 *   API gateway or Twitch's Helix (`Client-Id`) demands; else 400.
 * - Paths in `views` answer, for an active token, what their function makes of
 *   the introspection result (e.g. a GitHub-style `/user` profile).
 * Every request is recorded (method, URL with query, headers, body).
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ResourceServerOptions {
  /** The provider's introspection endpoint. */
  introspectionUrl: string;
  /** The resource server's own client at the provider (client_secret_basic). */
  clientId: string;
  clientSecret: string;
}

export interface ResourceRequest {
  method: string;
  /** Path and query as received. */
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** What a protected path answers for an active token. */
export interface ResourceAnswer {
  method: string;
  url: string;
  authorization: string | null;
  /** Where the bearer token was found. */
  placement: 'header' | 'body' | 'query';
  active: boolean;
  sub?: string;
  client_id?: string;
  scope?: string;
}

export interface ResourceServer {
  origin: string;
  readonly received: ResourceRequest[];
  /** Paths (without query) that never answer. */
  readonly hang: Set<string>;
  /** Path (without query) -> absolute URL it redirects to with 302. */
  readonly redirects: Map<string, string>;
  /** Header name (lower case) -> the value every protected request must carry. */
  readonly requiredHeaders: Map<string, string>;
  /** Path (without query) -> the body answered for an active token instead of the introspection summary. */
  readonly views: Map<string, (who: ResourceAnswer) => unknown>;
  /** How many introspection requests this server made. */
  introspections(): number;
  close(): Promise<void>;
}

export async function startResourceServer(opts: ResourceServerOptions): Promise<ResourceServer> {
  const received: ResourceRequest[] = [];
  const hang = new Set<string>();
  const redirects = new Map<string, string>();
  const requiredHeaders = new Map<string, string>();
  const views = new Map<string, (who: ResourceAnswer) => unknown>();
  let introspections = 0;
  const basic = 'Basic ' + Buffer.from(`${encodeURIComponent(opts.clientId)}:${encodeURIComponent(opts.clientSecret)}`).toString('base64');

  const introspect = async (token: string): Promise<Record<string, unknown>> => {
    introspections++;
    const res = await fetch(opts.introspectionUrl, {
      method: 'POST',
      headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({ token }).toString(),
    });
    if (res.status !== 200) throw new Error(`introspection answered ${res.status}: ${await res.text()}`);
    return (await res.json()) as Record<string, unknown>;
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = req.url ?? '/';
      const path = url.split('?')[0]!;
      received.push({ method: req.method ?? 'GET', url, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      if (hang.has(path)) return;
      const target = redirects.get(path);
      if (target !== undefined) {
        res.writeHead(302, { location: target });
        res.end();
        return;
      }
      const authorization = req.headers.authorization ?? null;
      const answer = (status: number, body: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(JSON.stringify(body));
      };
      if (path.startsWith('/public')) {
        answer(200, { method: req.method, url, authorization });
        return;
      }
      const query = new URLSearchParams(url.includes('?') ? url.slice(url.indexOf('?') + 1) : '');
      const isForm = /^application\/x-www-form-urlencoded\b/i.test(req.headers['content-type'] ?? '');
      const form = isForm && req.method !== 'GET' ? new URLSearchParams(Buffer.concat(chunks).toString('utf8')) : new URLSearchParams();
      const found: Array<[ResourceAnswer['placement'], string | undefined]> = [];
      if (authorization !== null) found.push(['header', /^Bearer ([^\s]+)$/.exec(authorization)?.[1]]);
      if (form.has('access_token')) found.push(['body', form.get('access_token') ?? undefined]);
      if (query.has('access_token')) found.push(['query', query.get('access_token') ?? undefined]);
      if (found.length > 1) {
        answer(400, { error: 'invalid_request', error_description: 'more than one method of sending the token' });
        return;
      }
      const [placement, bearer] = found[0] ?? ['header', undefined];
      if (!bearer) {
        answer(401, { error: 'invalid_request' }, { 'www-authenticate': 'Bearer realm="rs"' });
        return;
      }
      for (const [name, value] of requiredHeaders) {
        if (req.headers[name] !== value) {
          answer(400, { error: 'invalid_request', error_description: `the ${name} header is required` });
          return;
        }
      }
      introspect(bearer).then(
        (result) => {
          if (result.active !== true) {
            answer(401, { error: 'invalid_token' }, { 'www-authenticate': 'Bearer realm="rs", error="invalid_token"' });
            return;
          }
          const body: ResourceAnswer = {
            method: req.method ?? 'GET',
            url,
            authorization,
            placement,
            active: true,
            ...(typeof result.sub === 'string' ? { sub: result.sub } : {}),
            ...(typeof result.client_id === 'string' ? { client_id: result.client_id } : {}),
            ...(typeof result.scope === 'string' ? { scope: result.scope } : {}),
          };
          const view = views.get(path);
          answer(200, view ? view(body) : body);
        },
        (err: unknown) => answer(500, { error: 'server_error', message: err instanceof Error ? err.message : String(err) }),
      );
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    hang,
    redirects,
    requiredHeaders,
    views,
    introspections: () => introspections,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
