/**
 * A local OpenID provider (oidc-provider) so the sample runs with no account
 * anywhere. Loopback only; a one-click sign-in page stands in for a real login.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Provider, type Interaction } from 'oidc-provider';

export interface EmbeddedProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  close(): Promise<void>;
}

/** The dev accounts offered on the sign-in page. */
const USERS: Record<string, { name: string; email: string }> = {
  alice: { name: 'Alice Liddell', email: 'alice@example.com' },
  bob: { name: 'Bob Builder', email: 'bob@example.com' },
};

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
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
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>Embedded OpenID provider</title>
<style>body{font-family:system-ui,sans-serif;max-width:28rem;margin:4rem auto;padding:0 1rem}button{display:block;width:100%;margin:.5rem 0;padding:.6rem;font-size:1rem}</style></head>
<body><h1>Sign in</h1><p>This is the sample's embedded OpenID provider. <b>${escapeHtml(String(details.params.client_id))}</b> asks for: <code>${escapeHtml(String(details.params.scope))}</code>.</p>
<form method="post">${buttons}<button name="user" value="">Deny</button></form></body></html>`;
}

/**
 * Starts the provider on 127.0.0.1:`port` (0: a free port) with one client,
 * `sample-app`, allowed to come back to /auth/local of the app on `appPort`, whether
 * the browser calls the app localhost or 127.0.0.1.
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

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: ['localhost', '127.0.0.1'].map((host) => `http://${host}:${opts.appPort}/auth/local`),
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
    features: { devInteractions: { enabled: false } },
    pkce: { required: () => true },
    ttl: { AccessToken: 3600, AuthorizationCode: 60, IdToken: 3600, RefreshToken: 86400, Interaction: 600, Session: 3600, Grant: 86400 },
    // Put the profile claims in the ID token too, so the guard's validated claims
    // are enough for the page (no userinfo call needed).
    conformIdTokenClaims: false,
  });

  /** The sign-in page (GET) and its answer (POST): a dev account, or a refusal. */
  const interaction = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const details = await provider.interactionDetails(req, res);
    if (req.method !== 'POST') {
      res.setHeader('content-type', 'text/html; charset=utf-8');
      res.end(signInPage(details));
      return;
    }
    const user = (await readForm(req)).get('user') ?? '';
    if (!USERS[user]) {
      await provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'The user denied the request.' }, { mergeWithLastSubmission: false });
      return;
    }
    const grant = new provider.Grant({ accountId: user, clientId: String(details.params.client_id) });
    grant.addOIDCScope(String(details.params.scope));
    const grantId = await grant.save();
    await provider.interactionFinished(req, res, { login: { accountId: user }, consent: { grantId } }, { mergeWithLastSubmission: false });
  };

  const callback = provider.callback();
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
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
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
