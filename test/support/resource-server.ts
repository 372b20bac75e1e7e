/**
 * A small protected resource server (RFC 6750) for end-to-end tests of API calls, on
 * a free loopback port. It checks every bearer token by asking the provider's
 * introspection endpoint (RFC 7662) with its own client credentials, so "the call
 * succeeded" means the provider itself vouched for the token that arrived.
 *
 * - `/public/...` answers without looking at credentials.
 * - Every other path is protected: no bearer -> 401; an inactive token -> 401
 *   `invalid_token`; an active one -> 200 with what the introspection said.
 * - Paths in `hang` never answer; paths in `redirects` answer 302 to their target.
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
  /** How many introspection requests this server made. */
  introspections(): number;
  close(): Promise<void>;
}

export async function startResourceServer(opts: ResourceServerOptions): Promise<ResourceServer> {
  const received: ResourceRequest[] = [];
  const hang = new Set<string>();
  const redirects = new Map<string, string>();
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
      const bearer = authorization === null ? undefined : /^Bearer ([^\s]+)$/.exec(authorization)?.[1];
      if (!bearer) {
        answer(401, { error: 'invalid_request' }, { 'www-authenticate': 'Bearer realm="rs"' });
        return;
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
            active: true,
            ...(typeof result.sub === 'string' ? { sub: result.sub } : {}),
            ...(typeof result.client_id === 'string' ? { client_id: result.client_id } : {}),
            ...(typeof result.scope === 'string' ? { scope: result.scope } : {}),
          };
          answer(200, body);
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
    introspections: () => introspections,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
