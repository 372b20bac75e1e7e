/**
 * A local OpenID provider (oidc-provider) so the sample runs with no account
 * anywhere. Loopback only; a one-click sign-in page stands in for a real login.
 * It issues refresh tokens, revokes tokens (RFC 7009), ends sessions
 * (RP-Initiated Logout) and tells the sample when it does (Back-Channel Logout),
 * and serves a small protected API the sample calls through its client.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Provider, type Interaction } from 'oidc-provider';

export interface EmbeddedProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Base of the provider's protected API (`GET greeting`), for the client's `apiBaseUrl`. */
  apiBaseUrl: string;
  close(): Promise<void>;
}

/** Where the sample serves what the provider sends it to, on the app's port. */
export const SAMPLE_PATHS = {
  callback: '/auth/local',
  /** Back-channel logout (POST, `OAuthLogoutGuard`). */
  backchannel: '/auth/local/backchannel',
  /** Where the browser lands after logging out at the provider. */
  loggedOut: '/logged-out',
} as const;

/** The host names the browser may call the app by; the provider accepts both. */
export const APP_HOSTS = ['localhost', '127.0.0.1'] as const;

/** The dev accounts offered on the sign-in page. */
const USERS: Record<string, { name: string; email: string }> = {
  alice: { name: 'Alice Liddell', email: 'alice@example.com' },
  bob: { name: 'Bob Builder', email: 'bob@example.com' },
};

/** The slice of oidc-provider's Koa context its page hooks write to. */
interface PageContext {
  type: string;
  body: string;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function providerPage(title: string, body: string): string {
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>${escapeHtml(title)} · embedded OpenID provider</title>
<style>body{font-family:system-ui,sans-serif;max-width:28rem;margin:4rem auto;padding:0 1rem;background:#f6f7fb}main{background:#fff;border:1px solid #dde;border-radius:8px;padding:1rem 1.5rem}button{display:block;width:100%;margin:.5rem 0;padding:.6rem;font-size:1rem;cursor:pointer}small{color:#667}</style></head>
<body><main><h1>${escapeHtml(title)}</h1>${body}</main><p><small>The sample's embedded OpenID provider (oidc-provider) on 127.0.0.1.</small></p></body></html>`;
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  let body = '';
  // The form is one short field; anything past a few KB is not read into memory.
  for await (const chunk of req) if (body.length < 4096) body += String(chunk);
  return new URLSearchParams(body);
}

function signInPage(details: Interaction): string {
  const buttons = Object.entries(USERS)
    .map(([id, user]) => `<button name="user" value="${id}">Continue as ${escapeHtml(user.name)}</button>`)
    .join('');
  return providerPage(
    'Sign in',
    `<p><b>${escapeHtml(String(details.params.client_id))}</b> asks for: <code>${escapeHtml(String(details.params.scope))}</code>.</p>
<form method="post">${buttons}<button name="user" value="">Deny</button></form>`,
  );
}

/**
 * The provider's outgoing requests go through this fetch. oidc-provider's own one
 * hands undici a dispatcher that refuses loopback and other special-use addresses
 * (an SSRF guard); the sample listens on 127.0.0.1, so for the sample's origin, and
 * only for it, the request goes out without that dispatcher.
 */
function fetchAllowingApp(appOrigin: string) {
  return (url: string | URL, init: RequestInit & { dispatcher?: unknown } = {}): Promise<Response> => {
    if (new URL(url).origin !== appOrigin) return globalThis.fetch(url, init);
    const { dispatcher: _ssrfGuard, ...rest } = init;
    return globalThis.fetch(url, rest);
  };
}

/**
 * Starts the provider on 127.0.0.1:`port` (0: a free port) with one client,
 * `sample-app`, allowed to come back to the app on `appPort` (as localhost or
 * 127.0.0.1), with its back-channel logout route registered.
 */
export async function startEmbeddedProvider(opts: { port: number; appPort: number }): Promise<EmbeddedProvider> {
  const clientId = 'sample-app';
  const clientSecret = randomBytes(24).toString('base64url');
  // Listen first: the issuer URL carries the port, which may be a free one.
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, '127.0.0.1', resolve);
  });
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const appOrigin = `http://127.0.0.1:${opts.appPort}`;
  const appUrls = (path: string): string[] => APP_HOSTS.map((host) => `http://${host}:${opts.appPort}${path}`);

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: appUrls(SAMPLE_PATHS.callback),
        post_logout_redirect_uris: appUrls(SAMPLE_PATHS.loggedOut),
        // The provider POSTs a logout token here when this client's session ends,
        // server to server, so the app's own address on the loopback is right.
        backchannel_logout_uri: `${appOrigin}${SAMPLE_PATHS.backchannel}`,
        // Put `sid` in ID tokens and logout tokens: the sample ends the sessions of
        // that one provider session, not every session of the user.
        backchannel_logout_session_required: true,
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
      },
    ],
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    findAccount: async (_ctx: unknown, sub: string) =>
      USERS[sub] ? { accountId: sub, claims: async () => ({ sub, ...USERS[sub], email_verified: true }) } : undefined,
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    scopes: ['openid', 'email', 'profile', 'offline_access'],
    interactions: { url: async (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    features: {
      devInteractions: { enabled: false },
      revocation: {
        enabled: true,
        // RFC 7009 section 2.1: a client revokes only tokens issued to it.
        allowedPolicy: async (_ctx: unknown, client: { clientId: string }, token: { clientId?: string }) => token.clientId === client.clientId,
      },
      backchannelLogout: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        // `form` is the provider's own form (with its anti-CSRF field); the buttons
        // submit it from outside through their form= attribute.
        logoutSource: async (ctx: PageContext, form: string) => {
          ctx.type = 'html';
          ctx.body = providerPage(
            'Sign out',
            `<p>End your session at the embedded provider too?</p>${form}
<button type="submit" form="op.logoutForm" name="logout" value="yes" id="sign-out">Yes, sign me out</button>
<button type="submit" form="op.logoutForm">No, stay signed in</button>`,
          );
        },
        postLogoutSuccessSource: async (ctx: PageContext) => {
          ctx.type = 'html';
          ctx.body = providerPage('Signed out', `<p>You are signed out of the embedded provider.</p><p><a href="http://localhost:${opts.appPort}/">Back to the sample</a></p>`);
        },
      },
    },
    fetch: fetchAllowingApp(appOrigin),
    // A refresh token for every login of a client allowed the grant, so "Refresh now"
    // works without asking for offline_access (which needs a consent prompt).
    issueRefreshToken: async (_ctx: unknown, client: { grantTypeAllowed(type: string): boolean }) => client.grantTypeAllowed('refresh_token'),
    rotateRefreshToken: true,
    pkce: { required: () => true },
    ttl: { AccessToken: 3600, AuthorizationCode: 60, IdToken: 3600, RefreshToken: 86400, Interaction: 600, Session: 3600, Grant: 86400 },
    // Put the profile claims in the ID token too, so the guard's validated claims
    // are enough for the page (no userinfo call needed).
    conformIdTokenClaims: false,
    renderError: async (ctx: PageContext, out: Record<string, unknown>) => {
      ctx.type = 'html';
      ctx.body = providerPage('Something went wrong', `<p><code>${escapeHtml(String(out.error))}</code></p><p>${escapeHtml(String(out.error_description ?? ''))}</p>`);
    },
  });

  /**
   * The sign-in page (GET) and its answer (POST): a dev account, or a refusal. A
   * user already signed in who only lacks this client's grant (after a revocation)
   * is not asked again: the sample is the provider's own first-party client.
   */
  const interaction = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const details = await provider.interactionDetails(req, res);
    const signedIn = details.prompt.name !== 'login' ? details.session?.accountId : undefined;
    if (req.method !== 'POST' && !signedIn) {
      res.setHeader('content-type', 'text/html; charset=utf-8');
      res.end(signInPage(details));
      return;
    }
    const user = signedIn ?? (await readForm(req)).get('user') ?? '';
    if (!USERS[user]) {
      await provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'The user denied the request.' }, { mergeWithLastSubmission: false });
      return;
    }
    const grant = (details.grantId ? await provider.Grant.find(details.grantId) : undefined) ?? new provider.Grant({ accountId: user, clientId: String(details.params.client_id) });
    grant.addOIDCScope(String(details.params.scope));
    const grantId = await grant.save();
    await provider.interactionFinished(req, res, { ...(signedIn ? {} : { login: { accountId: user } }), consent: { grantId } }, { mergeWithLastSubmission: false });
  };

  /**
   * `GET /api/greeting`: a protected resource. The bearer token must be an access
   * token this provider issued and has not revoked (RFC 6750 section 3 otherwise).
   */
  const api = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const reply = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
      res.end(JSON.stringify(body));
    };
    if (req.method !== 'GET' || new URL(req.url ?? '/', issuer).pathname !== '/api/greeting') {
      reply(404, { error: 'not_found' });
      return;
    }
    const bearer = /^Bearer ([\w.~+/-]+=*)$/i.exec(req.headers.authorization ?? '')?.[1];
    const token = bearer ? await provider.AccessToken.find(bearer) : undefined;
    if (!token || token.isExpired) {
      reply(401, { error: 'invalid_token' }, { 'www-authenticate': bearer ? 'Bearer error="invalid_token"' : 'Bearer' });
      return;
    }
    const user = USERS[token.accountId];
    reply(200, {
      message: `Hello, ${user?.name ?? token.accountId}!`,
      sub: token.accountId,
      client_id: token.clientId,
      scope: token.scope,
      token_expires_in: Math.max(0, token.exp - Math.floor(Date.now() / 1000)),
      served_at: new Date().toISOString(),
    });
  };

  const callback = provider.callback();
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (req.url?.startsWith('/api/')) {
      api(req, res).catch(() => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
        res.end('{"error":"server_error"}');
      });
      return;
    }
    if (!req.url?.startsWith('/interaction/')) {
      callback(req, res);
      return;
    }
    interaction(req, res).catch(() => {
      res.statusCode = 400;
      res.setHeader('content-type', 'text/plain; charset=utf-8');
      res.end('This sign-in expired; start again from the sample app.');
    });
  });

  return {
    issuer,
    clientId,
    clientSecret,
    apiBaseUrl: `${issuer}/api/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
