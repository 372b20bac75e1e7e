import { OAuthResponseError } from '../errors/oauth.error.js';
import { serverFailure } from '../http/provider-http.js';
import type { ProviderRequest, ProviderResponse } from '../interfaces/oauth-hooks.interface.js';
import { objectAt } from './user-claims.js';

/** The default User-Agent of preset requests; GitHub and Reddit refuse requests without one. */
export const PRESET_USER_AGENT = 'nestjs-oauth-client';

/**
 * A token answer as an object: providers that answer form-encoded (GitHub without
 * `Accept: application/json`) arrive as text or fields; JSON text is parsed too.
 * Anything else is handed back unchanged for the client's checks to refuse.
 */
export function answerObject(body: unknown): unknown {
  if (body instanceof URLSearchParams) return Object.fromEntries(body);
  if (typeof body !== 'string') return body;
  const trimmed = body.trim();
  if (trimmed.startsWith('{')) {
    try {
      return JSON.parse(trimmed) as unknown;
    } catch {
      return body;
    }
  }
  if (/^[\w.%+-]+=/.test(trimmed)) return Object.fromEntries(new URLSearchParams(trimmed));
  return body;
}

/** RFC 6749 section 3.3: `scope` as one space-separated string, whatever the provider sent. */
export function scopeString(value: unknown, separator: RegExp = /[\s,]+/): unknown {
  if (Array.isArray(value)) return value.filter((s) => typeof s === 'string').join(' ');
  if (typeof value === 'string') return value.split(separator).filter(Boolean).join(' ');
  return value;
}

/** The answer with its body replaced. */
export function withBody(res: ProviderResponse, body: unknown): ProviderResponse {
  return { status: res.status, headers: res.headers, body };
}

/** Sets a header unless the request already has one of that name. */
export function defaultHeader(req: ProviderRequest, name: string, value: string): ProviderRequest {
  if (!req.headers.has(name)) req.headers.set(name, value);
  return req;
}

/** The request's form body as fields, whatever form it came in. */
export function formBody(req: ProviderRequest): URLSearchParams {
  if (req.body instanceof URLSearchParams) return req.body;
  return new URLSearchParams(req.body ?? '');
}

/**
 * A profile answer as an object: a refusal or a body that is not a JSON object ends
 * the login as the provider's failure (502), naming the call but no token.
 */
export function profileObject(res: ProviderResponse, what: string): Record<string, unknown> {
  if (res.status >= 500) throw serverFailure(what, res.status);
  if (res.status < 200 || res.status >= 300) {
    throw new OAuthResponseError('invalid_response', `The ${what} answered HTTP ${res.status}.`, { status: res.status });
  }
  const body = objectAt(res.body);
  if (!body) {
    throw new OAuthResponseError('invalid_response', `The ${what} answered a body that is not a JSON object.`, { status: res.status });
  }
  return body;
}
