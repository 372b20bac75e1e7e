import { OAuthResponseError, OAuthUsageError } from '../../errors/oauth.error.js';
import type { LogoutUrlOptions } from '../../interfaces/logout-event.interface.js';

const ABSOLUTE_HTTP = /^https?:\/\//i;

/**
 * The logout request of OpenID RP-Initiated Logout 1.0 section 2: the provider's
 * `end_session_endpoint` (its own query kept) with `client_id` and the given
 * parameters. Extra `params` never replace the named ones.
 */
export function buildLogoutUrl(
  client: { name: string; clientId: string; redirectUri: string | undefined },
  endpoint: string,
  opts: LogoutUrlOptions,
): string {
  const url = URL.canParse(endpoint) ? new URL(endpoint) : undefined;
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    throw new OAuthResponseError('invalid_server_metadata', `The end_session_endpoint of OAuth client "${client.name}"'s provider is not an http(s) URL.`);
  }
  const named = new URLSearchParams();
  named.set('client_id', client.clientId);
  if (opts.idTokenHint !== undefined) named.set('id_token_hint', opts.idTokenHint);
  if (opts.postLogoutRedirectUri !== undefined) {
    named.set('post_logout_redirect_uri', resolvePostLogoutUri(client, opts.postLogoutRedirectUri));
  }
  if (opts.state !== undefined) named.set('state', opts.state);
  for (const [k, v] of Object.entries(opts.params ?? {})) {
    if (!named.has(k)) url.searchParams.set(k, v);
  }
  for (const [k, v] of named) url.searchParams.set(k, v);
  return url.toString();
}

/**
 * An absolute http(s) URL as given; a path (a single leading `/`) against the
 * origin of the client's absolute `redirectUri`: the client has no request to
 * take an origin from. `//host` and `/\host` are refused, since URL resolution
 * would take them to another host.
 */
function resolvePostLogoutUri(client: { name: string; redirectUri: string | undefined }, value: string): string {
  if (ABSOLUTE_HTTP.test(value)) return new URL(value).toString();
  // A backslash or a control character could be read as a path separator or cut the URL.
  // eslint-disable-next-line no-control-regex
  if (!/^\/(?![/\\])/.test(value) || /[\\\u0000-\u001f\u007f]/.test(value)) {
    throw new OAuthUsageError('invalid_url', 'postLogoutRedirectUri must be an absolute http(s) URL or a path starting with a single "/"; nothing was built.');
  }
  const base = client.redirectUri;
  if (base === undefined || !ABSOLUTE_HTTP.test(base)) {
    throw new OAuthUsageError(
      'invalid_url',
      `postLogoutRedirectUri is a path, and OAuth client "${client.name}" has no absolute redirectUri to take the origin from; pass an absolute URL.`,
    );
  }
  return new URL(value, new URL(base).origin).toString();
}
