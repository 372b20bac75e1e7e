/**
 * A tiny HTTP load balancer for tests of several app instances: one loopback origin
 * in front of several backends, as a browser sees a fleet. The Host header is passed
 * through unchanged, so every instance computes the same origin (and default
 * redirect URI), and the browser keeps one cookie jar for all of them.
 *
 * A request goes to the backend named by its `x-backend` header (an index into
 * `backends`), else round-robin. Each answer carries `x-served-by: <index>`.
 */
import { Agent, createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export const BACKEND_HEADER = 'x-backend';
export const SERVED_BY_HEADER = 'x-served-by';

export interface LoadBalancer {
  /** `http://127.0.0.1:<port>`. */
  origin: string;
  /** How many requests each backend received, by index. */
  readonly served: number[];
  close(): Promise<void>;
}

/** Starts a balancer in front of `backends` (origins such as `http://127.0.0.1:1234`). */
export async function startLoadBalancer(backends: readonly string[]): Promise<LoadBalancer> {
  if (backends.length === 0) throw new Error('a load balancer needs at least one backend');
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const served = backends.map(() => 0);
  let next = 0;

  const pick = (req: IncomingMessage): number => {
    const pinned = req.headers[BACKEND_HEADER];
    if (typeof pinned === 'string' && /^\d+$/.test(pinned) && Number(pinned) < backends.length) return Number(pinned);
    const i = next;
    next = (next + 1) % backends.length;
    return i;
  };

  const forward = (req: IncomingMessage, res: ServerResponse): void => {
    const index = pick(req);
    served[index]!++;
    const target = new URL(backends[index]!);
    const headers = { ...req.headers };
    delete headers[BACKEND_HEADER];
    const upstream = httpRequest(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers, agent },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, { ...answer.headers, [SERVED_BY_HEADER]: String(index) });
        answer.pipe(res);
      },
    );
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502, { [SERVED_BY_HEADER]: String(index) });
      res.end();
    });
    req.pipe(upstream);
  };

  const server: Server = createServer(forward);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    served,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
}
