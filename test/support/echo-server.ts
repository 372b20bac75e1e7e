import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface EchoServer {
  origin: string;
  /** Requests received: method, URL and headers. */
  received: Array<{ method: string; url: string; headers: IncomingHttpHeaders }>;
  /** Paths that never answer (to test timeouts). */
  hang: Set<string>;
  close(): Promise<void>;
}

/** A resource server that answers every request with what it received, as JSON. */
export async function startEchoServer(): Promise<EchoServer> {
  const received: EchoServer['received'] = [];
  const hang = new Set<string>();
  const server: Server = createServer((req, res) => {
    const url = req.url ?? '/';
    received.push({ method: req.method ?? 'GET', url, headers: req.headers });
    if (hang.has(url.split('?')[0]!)) return;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ method: req.method, url, authorization: req.headers.authorization ?? null }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    hang,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
