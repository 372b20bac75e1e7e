import type { OAuth1Token, OAuth2Token } from '../lib/index.js';
import type { ActivityEntry } from './activity.js';
import type { ApiResult } from './api-call.js';
import { maskToken } from './mask.js';
import { isOAuth2Token } from './session.js';

export { maskToken } from './mask.js';

/** Everything the home page shows. */
export interface HomeView {
  /** `express` or `fastify`. */
  platform: string;
  /** The configured providers, to log in with. */
  providers: Array<{ name: string; label: string }>;
  /** Who is logged in, when someone is. */
  user?: { provider: string; claims: Record<string, unknown>; token: OAuth1Token | OAuth2Token };
  /** The API call made for this page. */
  api?: ApiResult;
  /** A one-line message (e.g. after logging out). */
  notice?: string;
  activity: readonly ActivityEntry[];
}

function esc(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const STYLE = `body{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#1d2230;background:#f6f7fb}
section{background:#fff;border:1px solid #dde;border-radius:8px;padding:.5rem 1.25rem 1rem;margin:1rem 0}
h1{font-size:1.5rem}h2{font-size:1.1rem}th{text-align:left;padding-right:1rem;vertical-align:top;white-space:nowrap}td{word-break:break-all}
pre{background:#f1f3f8;padding:.75rem;overflow:auto;max-height:18rem}form{display:inline}button{font-size:1rem;padding:.4rem .9rem;margin-right:.5rem;cursor:pointer}
.badge{font-size:.8rem;background:#e3e8f7;border-radius:4px;padding:.1rem .4rem;margin-left:.5rem;vertical-align:middle}
#notice{background:#e8f6ec;border-color:#b7dfc2}ol{padding-left:1.2rem}li{margin:.35rem 0}time{color:#667;font-size:.85rem}`;

function page(platform: string | undefined, body: string): string {
  const badge = platform === undefined ? '' : `<span class="badge" id="platform">${esc(platform)}</span>`;
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>nestjs-oauth-client sample</title><style>${STYLE}</style></head>
<body><h1>nestjs-oauth-client sample${badge}</h1>
${body}
</body></html>`;
}

function claimsTable(claims: Record<string, unknown>): string {
  const rows = Object.entries(claims)
    .filter(([, v]) => v !== undefined && v !== null)
    .map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(typeof v === 'object' ? JSON.stringify(v) : v)}</td></tr>`)
    .join('');
  return `<table id="claims">${rows}</table>`;
}

function tokenSection(token: OAuth1Token | OAuth2Token): string {
  if (!isOAuth2Token(token)) {
    return `<section id="token"><h2>Token (OAuth 1.0a)</h2><table><tr><th>oauth_token</th><td><code id="access-token">${esc(maskToken(token.oauth_token))}</code></td></tr></table></section>`;
  }
  const expires = token.expires_at === undefined ? 'not said' : new Date(token.expires_at * 1000).toISOString();
  const refresh = token.refresh_token === undefined ? 'none' : maskToken(token.refresh_token);
  // "Refresh now" only where there is something to refresh with.
  const refreshButton = token.refresh_token === undefined ? '' : '<form method="post" action="/refresh"><button type="submit" id="refresh">Refresh now</button></form>';
  return `<section id="token"><h2>Token</h2><table>
<tr><th>access_token</th><td><code id="access-token">${esc(maskToken(token.access_token))}</code></td></tr>
<tr><th>refresh_token</th><td><code id="refresh-token">${esc(refresh)}</code></td></tr>
<tr><th>expires_at</th><td>${esc(expires)}</td></tr></table>
<p>${refreshButton}</p></section>`;
}

function apiSection(api: ApiResult): string {
  const outcome =
    api.error !== undefined
      ? `<p>Failed: <code id="api-error">${esc(api.error)}</code></p>`
      : `<p>HTTP <b id="api-status">${esc(api.status)}</b></p><pre id="api-body">${esc(api.body ?? '')}</pre>`;
  return `<section id="api"><h2>API call through the client</h2><p><code id="api-request">${esc(api.request)}</code></p>${outcome}</section>`;
}

function activitySection(activity: readonly ActivityEntry[]): string {
  const items = activity.length
    ? activity
        .map(
          (e) =>
            `<li class="event" data-kind="${esc(e.kind)}"><time>${esc(e.at.toISOString())}</time> <code>${esc(e.kind)}</code> <b>${esc(e.client)}</b>: ${esc(e.text)}</li>`,
        )
        .join('')
    : '<li>Nothing yet.</li>';
  return `<section id="events"><h2>Events the app received</h2><p><small>tokenUpdate$ and logout$ of the registry, and the sample's revocations; all users, newest first, tokens masked.</small></p><ol>${items}</ol></section>`;
}

/** The home page: links to log in with each configured provider, or who is logged in. */
export function renderHome(view: HomeView): string {
  const notice = view.notice === undefined ? '' : `<section id="notice"><p>${esc(view.notice)}</p></section>`;
  if (!view.user) {
    const links = view.providers.length
      ? `<ul id="providers">${view.providers.map((p) => `<li><a href="/auth/${esc(p.name)}">Log in with ${esc(p.label)}</a></li>`).join('')}</ul>`
      : '<p>No provider is configured: see sample/.env.example.</p>';
    return page(view.platform, `${notice}<section><h2>Log in</h2>${links}</section>${activitySection(view.activity)}`);
  }
  const { user } = view;
  // Logging out is a POST: a SameSite=Lax session cookie is not sent with another
  // site's POST, so no other page can log the user out behind their back.
  return page(
    view.platform,
    `${notice}<section id="user"><p>Logged in with <b id="provider">${esc(user.provider)}</b>.</p>
${claimsTable(user.claims)}
<p><form method="post" action="/logout"><button type="submit" id="logout">Log out</button></form></p></section>
${tokenSection(user.token)}
${view.api ? apiSection(view.api) : ''}
${activitySection(view.activity)}`,
  );
}

/** A failed login: the library's error code and message (they carry no secret). */
export function renderError(status: number, code: string, message: string): string {
  return page(
    undefined,
    `<section><p>The login failed (${status}): <code id="error">${esc(code)}</code></p>
<p>${esc(message)}</p>
<p><a href="/">Back to the home page</a></p></section>`,
  );
}
