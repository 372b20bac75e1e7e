import type { HttpSettings } from './http-settings.js';
import { transportError } from './transport-error.js';
import { dispatchable, undiciApiRequest, usesUndici } from './undici-transport.js';

/**
 * An API call on behalf of the user: the `Response` is handed back unread (the
 * caller owns the body), redirects are not followed (a token must not be carried
 * to wherever a 3xx points), and the wait for the headers is bounded by `timeout`.
 * Through undici unless a `fetch` was given or the body is one only fetch takes.
 */
export function apiRequest(url: URL, init: Omit<RequestInit, 'signal' | 'redirect'>, http: HttpSettings): Promise<Response> {
  return usesUndici(http) && dispatchable(init) ? undiciApiRequest(url, init, http) : fetchApiRequest(url, init, http);
}

async function fetchApiRequest(url: URL, init: Omit<RequestInit, 'signal' | 'redirect'>, http: HttpSettings): Promise<Response> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), http.timeout);
  try {
    return await http.fetch(url, { ...init, redirect: 'manual', signal: controller.signal });
  } catch (err) {
    throw transportError(err, controller.signal.aborted, `API at ${url.origin}`, http.timeout);
  } finally {
    clearTimeout(timer);
  }
}
