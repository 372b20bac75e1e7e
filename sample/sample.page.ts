/** Who is logged in to the sample, as kept in its session. */
export interface SignedInUser {
  /** The client name: `local`, `github`, `google`. */
  provider: string;
  claims: Record<string, unknown>;
  /** The access token, already masked by `maskToken`. */
  token: string;
}

/** Shows only the first characters: enough to tell tokens apart, useless to a thief. */
export function maskToken(token: string): string {
  return token.length <= 8 ? '••••' : `${token.slice(0, 4)}…(${token.length} chars)`;
}

function esc(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(body: string): string {
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>nestjs-oauth-client sample</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem}th{text-align:left;padding-right:1rem;vertical-align:top}td{word-break:break-all}</style></head>
<body><h1>nestjs-oauth-client sample</h1>
${body}
</body></html>`;
}

/** The home page: links to log in with each configured provider, or who is logged in. */
export function renderHome(providers: Array<{ name: string; label: string }>, user?: SignedInUser): string {
  if (!user) {
    const links = providers.length
      ? `<ul>${providers.map((p) => `<li><a href="/auth/${esc(p.name)}">Log in with ${esc(p.label)}</a></li>`).join('')}</ul>`
      : '<p>No provider is configured: see sample/.env.example.</p>';
    return page(links);
  }
  const rows = Object.entries(user.claims)
    .filter(([, v]) => v !== undefined && v !== null)
    .map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(typeof v === 'object' ? JSON.stringify(v) : v)}</td></tr>`)
    .join('');
  // Logging out is a POST: a SameSite=Lax session cookie is not sent with another
  // site's POST, so no other page can log the user out behind their back.
  return page(`<p>Logged in with <b>${esc(user.provider)}</b>.</p>
<table>${rows}</table>
<p>Access token: <code id="token">${esc(user.token)}</code></p>
<form method="post" action="/logout"><button type="submit">Log out</button></form>`);
}

/** A failed login: the library's error code and message (they carry no secret). */
export function renderError(status: number, code: string, message: string): string {
  return page(`<p>The login failed (${status}): <code id="error">${esc(code)}</code></p>
<p>${esc(message)}</p>
<p><a href="/">Back to the home page</a></p>`);
}
