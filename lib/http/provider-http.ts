import { USER_AGENT } from '../oauth.constants.js';
import { OAuthResponseError, OAuthTransportError } from '../errors/oauth.error.js';
import { transportError } from './transport-error.js';
import { responseTooLarge, undiciProviderRequest, usesUndici } from './undici-transport.js';

export type { HttpSettings, ProviderRequest, ProviderResponse } from './http-settings.js';
import type { HttpSettings, ProviderRequest, ProviderResponse } from './http-settings.js';

/**
 * One request to a provider: redirects are not followed (a 3xx from a token or
 * discovery endpoint is a misconfiguration or an attack, never something to chase
 * with credentials attached), the whole exchange including the body is bounded by
 * `timeout`, and the body is read up to `maxBytes`. Through undici unless a `fetch`
 * was given.
 */
export function providerRequest(url: string, req: ProviderRequest, http: HttpSettings): Promise<ProviderResponse> {
  return usesUndici(http) ? undiciProviderRequest(url, req, http) : fetchProviderRequest(url, req, http);
}

async function fetchProviderRequest(url: string, req: ProviderRequest, http: HttpSettings): Promise<ProviderResponse> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), http.timeout);
  try {
    let res: Response;
    try {
      res = await http.fetch(url, {
        method: req.method ?? 'GET',
        headers: { 'user-agent': http.userAgent ?? USER_AGENT, ...req.headers },
        body: req.body,
        redirect: 'manual',
        signal: controller.signal,
      });
    } catch (err) {
      throw transportError(err, controller.signal.aborted, req.what, http.timeout);
    }
    let body: string;
    try {
      body = await readCapped(res, req.maxBytes, req.what);
    } catch (err) {
      if (err instanceof OAuthResponseError) throw err;
      throw transportError(err, controller.signal.aborted, req.what, http.timeout);
    }
    return { status: res.status, headers: res.headers, body };
  } finally {
    clearTimeout(timer);
  }
}


export async function readCapped(res: Response, maxBytes: number, what: string): Promise<string> {
  const declared = Number(res.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await res.body?.cancel().catch(() => undefined);
    throw responseTooLarge(what, maxBytes, res.status);
  }
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw responseTooLarge(what, maxBytes, res.status);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, total).toString('utf8');
}

/**
 * Parses a provider's JSON object. Anything else (an array, HTML, truncated JSON)
 * is `invalid_response`; 5xx without a usable body is `provider_unavailable`.
 */
export function parseJsonObject(res: ProviderResponse, what: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(res.body);
  } catch {
    parsed = undefined;
  }
  return expectJsonObject(parsed, res.status, what);
}

/** A parsed body that must be a JSON object: else `invalid_response`, or `provider_unavailable` for a 5xx. */
export function expectJsonObject(body: unknown, status: number, what: string): Record<string, unknown> {
  if (body !== null && typeof body === 'object' && !Array.isArray(body)) return body as Record<string, unknown>;
  if (status >= 500) throw serverFailure(what, status);
  throw new OAuthResponseError('invalid_response', `The ${what} answered HTTP ${status} with a body that is not a JSON object.`, { status });
}

/** Refuses any answer that is not 2xx, once a possible OAuth `error` body has been looked at. */
export function expectSuccess(res: Pick<ProviderResponse, 'status'>, what: string): void {
  if (res.status >= 200 && res.status < 300) return;
  if (res.status >= 300 && res.status < 400) {
    throw new OAuthResponseError(
      'invalid_response',
      `The ${what} answered a redirect (HTTP ${res.status}); redirects from providers are not followed.`,
      { status: res.status },
    );
  }
  if (res.status >= 500) throw serverFailure(what, res.status);
  throw new OAuthResponseError('invalid_response', `The ${what} answered HTTP ${res.status}.`, {
    status: res.status,
  });
}

/** A 5xx: the provider is failing, which is an outage, not a bad answer. */
export function serverFailure(what: string, status: number): OAuthTransportError {
  return new OAuthTransportError('provider_unavailable', `The ${what} failed with HTTP ${status}.`, { status });
}
