import { OAuth2Client, OAuthError, type OAuth2Token, type OAuthClient } from '../lib/index.js';

/** The API each provider's page calls through its client: a path under its `apiBaseUrl`. */
export const API_CALLS: Record<string, { path: string; query?: Record<string, string> }> = {
  /** The embedded provider's protected API: answers who the token belongs to. */
  local: { path: 'greeting' },
  github: { path: 'user' },
  google: { path: 'oauth2/v3/userinfo' },
  twitter: { path: 'account/verify_credentials.json', query: { skip_status: 'true' } },
};

/** What the page shows of a call. */
export interface ApiResult {
  /** `GET <url>` as sent. */
  request: string;
  status?: number;
  /** The body, pretty-printed when JSON, cut to a few KB. */
  body?: string;
  /** The library's error code and message when nothing came back. */
  error?: string;
}

const MAX_BODY = 4096;

/**
 * `GET` the provider's API through the client, with the token of the request's
 * session (`fetchToken`) or the one given. The client resolves the path under
 * `apiBaseUrl`, signs (OAuth 1.0a) or attaches the bearer token, and refreshes an
 * expiring OAuth 2 token first.
 */
export async function callApi(client: OAuthClient, auth: { req: unknown } | { token: OAuth2Token }): Promise<ApiResult> {
  const call = API_CALLS[client.name] ?? { path: '' };
  let request = `GET ${call.path || '(apiBaseUrl)'}`;
  try {
    const res = await send(client, call.path, auth, call.query);
    if (res.url) request = `GET ${res.url}`;
    const text = await res.text();
    let body = text;
    try {
      body = JSON.stringify(JSON.parse(text), null, 2);
    } catch {
      // Not JSON: shown as it came.
    }
    return { request, status: res.status, body: body.length > MAX_BODY ? `${body.slice(0, MAX_BODY)}…` : body };
  } catch (err) {
    return { request, error: describeError(err) };
  }
}

function send(client: OAuthClient, path: string, auth: { req: unknown } | { token: OAuth2Token }, query?: Record<string, string>): Promise<Response> {
  if ('req' in auth) return client.get(path, { req: auth.req, query });
  if (client instanceof OAuth2Client) return client.get(path, { token: auth.token, query });
  throw new Error(`OAuth client "${client.name}" is not an OAuth 2 client.`);
}

/** An error for the page: the library's code and message (they carry no secret). */
export function describeError(err: unknown): string {
  if (err instanceof OAuthError) return `${err.code}: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}
