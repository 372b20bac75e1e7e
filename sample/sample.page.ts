export interface SignedInUser {
  provider: string;
  claims: Record<string, unknown>;
  /** Already masked. */
  token: string;
}

function esc(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The sample's one page: providers to log in with, or who is logged in. */
export function renderHome(providers: Array<{ name: string; label: string }>, user?: SignedInUser): string {
  const body = user
    ? `<p>Signed in with <b>${esc(user.provider)}</b>.</p>
<table>${Object.entries(user.claims)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(typeof v === 'object' ? JSON.stringify(v) : v)}</td></tr>`)
        .join('')}</table>
<p>Access token: <code id="token">${esc(user.token)}</code></p>
<p><a href="/logout">Log out</a></p>`
    : `<p>Log in with:</p><ul>${providers.map((p) => `<li><a href="/auth/${esc(p.name)}">${esc(p.label)}</a></li>`).join('')}</ul>`;
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>nestjs-oauth-client sample</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto}th{text-align:left;padding-right:1rem}</style></head>
<body><h1>nestjs-oauth-client sample</h1>${body}</body></html>`;
}
