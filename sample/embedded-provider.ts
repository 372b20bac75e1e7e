/**
 * A local OpenID provider (oidc-provider) so the sample runs with no account
 * anywhere. Loopback only; a one-click sign-in page stands in for a real login.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Provider, type Interaction } from 'oidc-provider';

export interface EmbeddedProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  close(): Promise<void>;
}

const USERS: Record<string, { name: string; email: string }> = {
  alice: { name: 'Alice Liddell', email: 'alice@example.com' },
  bob: { name: 'Bob Builder', email: 'bob@example.com' },
};

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  let body = '';
  for await (const chunk of req) body += String(chunk);
  return new URLSearchParams(body);
}

export async function startEmbeddedProvider(opts: { port: number; redirectUri: string }): Promise<EmbeddedProvider> {
  const clientId = 'sample-app';
  const clientSecret = randomBytes(24).toString('base64url');
  let handle: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.end();
  const server: Server = createServer((req, res) => handle(req, res));
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
        redirect_uris: [opts.redirectUri],
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
    // Put the profile claims in the ID token too, so the guard's validated claims
    // are enough for the page (no userinfo call needed).
    conformIdTokenClaims: false,
  });

  const signInPage = (details: Interaction) => `<!doctype html>
<html><head><meta charset="utf-8"><title>Embedded OpenID provider</title>
<style>body{font-family:system-ui,sans-serif;max-width:28rem;margin:4rem auto}button{display:block;width:100%;margin:.5rem 0;padding:.6rem;font-size:1rem}</style></head>
<body><h1>Sign in</h1><p>This is the sample's embedded OpenID provider. <b>${escapeHtml(String(details.params.client_id))}</b> asks for: <code>${escapeHtml(String(details.params.scope))}</code>.</p>
<form method="post">${Object.keys(USERS)
    .map((u) => `<button name="user" value="${u}">Continue as ${escapeHtml(USERS[u]!.name)}</button>`)
    .join('')}<button name="user" value="">Deny</button></form></body></html>`;

  const interaction = async (req: IncomingMessage, res: ServerResponse) => {
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
  handle = (req, res) => {
    if (req.url?.startsWith('/interaction/')) {
      interaction(req, res).catch(() => {
        res.statusCode = 400;
        res.end('This sign-in expired; start again from the sample app.');
      });
      return;
    }
    callback(req, res);
  };

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
