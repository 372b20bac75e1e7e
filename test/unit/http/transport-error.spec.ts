import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OAuthTransportError } from '../../../lib/index.js';
import { transportError } from '../../../lib/http/transport-error.js';
import { reservePort } from '../../support/oidc-provider.js';

// What a token looks like when a CR/LF in it makes the Authorization header invalid.
const SECRET = 'tok-SECRET-5f2c9a';

let server: Server;
let origin: string;

beforeAll(async () => {
  server = createServer((req) => {
    // /reset drops the connection; anything else hangs without an answer.
    if (req.url === '/reset') req.socket.destroy();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

/** What the real fetch rejects with for this request. */
async function fetchError(url: string, init: RequestInit = {}): Promise<unknown> {
  try {
    await fetch(url, init);
  } catch (err) {
    return err;
  }
  throw new Error('expected fetch to fail');
}

/** Everything Nest's logger would print for the error, cause chain included. */
const printed = (err: unknown) => inspect(err, { depth: 10 }) + JSON.stringify(err);

describe('transportError', () => {
  it('an invalid header value (the fetch TypeError quotes it) says nothing was sent and keeps no cause', async () => {
    const err = await fetchError(`${origin}/x`, { headers: { authorization: `Bearer ${SECRET}\r\nx` } });
    expect(err).toBeInstanceOf(TypeError);
    expect(String((err as Error).message)).toContain(SECRET);
    const mapped = transportError(err, false, 'token endpoint', 1000);
    expect(mapped).toBeInstanceOf(OAuthTransportError);
    expect(mapped.code).toBe('provider_unavailable');
    expect(mapped.message).toBe('The request to the token endpoint could not be built (an invalid URL or header value); nothing was sent.');
    expect(mapped.cause).toBeUndefined();
    expect(printed(mapped)).not.toContain(SECRET);
  });

  it('a refused connection is provider_unavailable, its cause only the system code', async () => {
    const port = await reservePort();
    const err = await fetchError(`http://127.0.0.1:${port}/x`, { headers: { authorization: `Bearer ${SECRET}` } });
    const mapped = transportError(err, false, 'JWKS endpoint', 1000);
    expect(mapped.code).toBe('provider_unavailable');
    expect(mapped.message).toBe('The JWKS endpoint could not be reached (connection refused, reset or closed).');
    expect(mapped.cause).toBeInstanceOf(Error);
    expect((mapped.cause as Error & { code?: string }).code).toBe('ECONNREFUSED');
    expect((mapped.cause as Error).message).toBe('transport failure: ECONNREFUSED');
    expect(printed(mapped)).not.toContain(SECRET);
  });

  it('a reset connection is provider_unavailable too', async () => {
    const mapped = transportError(await fetchError(`${origin}/reset`), false, 'token endpoint', 1000);
    expect(mapped.code).toBe('provider_unavailable');
    expect(mapped.message).toContain('could not be reached');
    expect((mapped.cause as Error & { code?: string }).code).toMatch(/^[A-Z0-9_]+$/);
  });

  it('an aborted wait is a timeout naming the limit, not a refusal', async () => {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 50);
    const err = await fetchError(`${origin}/hang`, { signal: controller.signal });
    clearTimeout(timer);
    const mapped = transportError(err, controller.signal.aborted, 'discovery endpoint', 50);
    expect(mapped.code).toBe('timeout');
    expect(mapped.message).toBe('The discovery endpoint did not answer within 50 ms.');
    expect(mapped.cause).toBeInstanceOf(Error);
  });

  it('the timeout flag decides, whatever the error says: a timed-out request is never reported refused', async () => {
    const port = await reservePort();
    const refused = await fetchError(`http://127.0.0.1:${port}/x`);
    expect(transportError(refused, true, 'token endpoint', 10).code).toBe('timeout');
    expect(transportError(refused, false, 'token endpoint', 10).code).toBe('provider_unavailable');
  });

  it('never passes on the message of any error in the chain, only a well-formed code', () => {
    const inner = Object.assign(new Error(`header authorization: Bearer ${SECRET}`), { code: 'UND_ERR_HEADERS' });
    const outer = new TypeError('fetch failed', { cause: inner });
    for (const timedOut of [false, true]) {
      const mapped = transportError(outer, timedOut, 'userinfo endpoint', 100);
      expect(printed(mapped)).not.toContain(SECRET);
      expect((mapped.cause as Error & { code?: string }).code).toBe('UND_ERR_HEADERS');
    }
    // A "code" that is itself free text is not a system code and is dropped.
    const odd = new TypeError('fetch failed', { cause: Object.assign(new Error('x'), { code: `Bearer ${SECRET}` }) });
    const mapped = transportError(odd, false, 'userinfo endpoint', 100);
    expect((mapped.cause as Error).message).toBe('transport failure');
    expect(printed(mapped)).not.toContain(SECRET);
  });
});
