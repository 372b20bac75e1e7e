/**
 * A real OpenID Provider (panva's `oidc-provider` 9) for end-to-end tests, on a free
 * loopback port. One account, `alice`, is logged in and consents automatically, so a
 * test browser only follows redirects from the authorization URL back to the app.
 *
 * Clients live in a map read by the provider's storage adapter, so they can be added
 * after start (once the app's port, and so its redirect URI, is known).
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Provider, type Adapter, type AdapterPayload, type Configuration, type Interaction } from 'oidc-provider';
import type { Browser, BrowserResponse } from './browser.js';

/** Alice's claims as the provider serves them (ID token `sub`, userinfo, introspection). */
export const ALICE = Object.freeze({
  sub: 'alice',
  email: 'alice@example.com',
  email_verified: true,
  name: 'Alice Liddell',
  given_name: 'Alice',
  family_name: 'Liddell',
  preferred_username: 'alice',
});

/** Paths of the provider's endpoints, for counting requests. */
export const PROVIDER_PATHS = Object.freeze({
  discovery: '/.well-known/openid-configuration',
  authorization: '/auth',
  token: '/token',
  jwks: '/jwks',
  userinfo: '/me',
  introspection: '/token/introspection',
  revocation: '/token/revocation',
});

/** Client metadata as RFC 7591 spells it (`client_id`, `redirect_uris`, …). */
export type ClientMetadata = { client_id: string } & Record<string, unknown>;

export interface ProviderRequest {
  method: string;
  /** Path without the query. */
  path: string;
  headers: Record<string, string>;
}

export interface OidcProviderOptions {
  /** Port to listen on (default 0: a free one). See `reservePort()`. */
  port?: number;
  /** Clients known from the start; more can be added with `addClient`. */
  clients?: ClientMetadata[];
  /** Lifetimes in seconds. */
  ttl?: { accessToken?: number; idToken?: number; refreshToken?: number; clientCredentials?: number };
  /** Signing keys (private JWKs with `kid`); default one RSA key per test process. */
  jwks?: { keys: Array<Record<string, unknown>> };
  /** Rotate refresh tokens on every use (default true). */
  rotateRefreshToken?: boolean;
  /**
   * Turn on RP-Initiated Logout and Back-Channel Logout (OpenID), and let the
   * provider POST logout tokens to loopback apps (its fetch refuses special-use
   * addresses by default). Clients then register `post_logout_redirect_uris`,
   * `backchannel_logout_uri` and `backchannel_logout_session_required`.
   */
  logout?: boolean;
  /** Features added to (or replacing by name) the defaults: introspection, revocation, client credentials. */
  features?: Record<string, unknown>;
  /** Shallow overrides of the provider configuration, applied last. */
  configuration?: Configuration;
}

/** A request the provider sent (with `logout: true`): a back-channel logout POST and the app's answer. */
export interface OutgoingRequest {
  url: string;
  method: string;
  /** The body sent, as text. */
  body: string;
  /** The app's answer; undefined when none came. */
  status?: number;
  headers?: Headers;
}

/** One back-channel logout the provider sent (oidc-provider's `backchannel.*` events). */
export interface BackchannelDelivery {
  clientId: string;
  accountId: string;
  sid?: string;
  /** Why the app's answer was refused (not 200/204, or no answer); undefined when accepted. */
  error?: string;
}

export interface OidcProviderHarness {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  issuer: string;
  discoveryUrl: string;
  port: number;
  provider: Provider;
  /** Every request the provider received, in order. */
  readonly requests: ProviderRequest[];
  /** Errors the provider reported as `server_error` (should stay empty). */
  readonly serverErrors: unknown[];
  /** Back-channel logouts sent, in order (with `logout: true`). */
  readonly backchannel: BackchannelDelivery[];
  /** Requests the provider sent and the answers it got, in order (with `logout: true`). */
  readonly outgoing: OutgoingRequest[];
  resetRequests(): void;
  /** How many requests hit `path` (optionally only with `method`). */
  count(path: string, method?: string): number;
  /** Registers (or replaces) a client; invalid metadata rejects here. */
  addClient(metadata: ClientMetadata): Promise<ClientMetadata>;
  removeClient(clientId: string): void;
  /** What the automatic interaction answers: `approve` (default) or `deny` (access_denied). */
  interactionOutcome: 'approve' | 'deny';
  close(): Promise<void>;
}

let defaultJwks: { keys: Array<Record<string, unknown>> } | undefined;

/** One RSA signing key per test process: key generation is slow on a busy machine. */
function processJwks(): { keys: Array<Record<string, unknown>> } {
  if (!defaultJwks) {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwk = privateKey.export({ format: 'jwk' });
    defaultJwks = { keys: [{ ...jwk, kid: `test-${randomBytes(6).toString('hex')}`, use: 'sig', alg: 'RS256' }] };
  }
  return defaultJwks;
}

interface StoredEntry {
  payload: AdapterPayload;
  expiresAt?: number;
}

/**
 * Per-provider in-memory storage (oidc-provider's own memory adapter shares one
 * module-wide store between providers). The `Client` model reads the client map.
 */
function createStorage(clients: Map<string, ClientMetadata>): (model: string) => Adapter {
  const entries = new Map<string, StoredEntry>();
  const grants = new Map<string, Set<string>>();
  const uids = new Map<string, string>();
  const userCodes = new Map<string, string>();

  const live = (key: string): AdapterPayload | undefined => {
    const entry = entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt !== undefined && entry.expiresAt <= Date.now()) {
      entries.delete(key);
      return undefined;
    }
    return entry.payload;
  };

  return (model: string): Adapter => {
    const keyOf = (id: string): string => `${model}:${id}`;
    const adapter: Adapter = {
      async upsert(id, payload, expiresIn) {
        if (model === 'Client') {
          clients.set(id, { ...payload, client_id: id });
          return;
        }
        const key = keyOf(id);
        entries.set(key, {
          payload,
          expiresAt: typeof expiresIn === 'number' ? Date.now() + expiresIn * 1000 : undefined,
        });
        if (payload.grantId) {
          let members = grants.get(payload.grantId);
          if (!members) grants.set(payload.grantId, (members = new Set()));
          members.add(key);
        }
        if (model === 'Session' && payload.uid) uids.set(payload.uid, id);
        if (payload.userCode) userCodes.set(payload.userCode, id);
      },
      async find(id) {
        if (model === 'Client') {
          const client = clients.get(id);
          return client ? structuredClone(client) : undefined;
        }
        return live(keyOf(id));
      },
      async findByUid(uid) {
        const id = uids.get(uid);
        return id === undefined ? undefined : live(keyOf(id));
      },
      async findByUserCode(userCode) {
        const id = userCodes.get(userCode);
        return id === undefined ? undefined : live(keyOf(id));
      },
      async consume(id) {
        const payload = live(keyOf(id));
        if (payload) payload.consumed = Math.floor(Date.now() / 1000);
      },
      async destroy(id) {
        if (model === 'Client') {
          clients.delete(id);
          return;
        }
        entries.delete(keyOf(id));
      },
      async revokeByGrantId(grantId) {
        for (const key of grants.get(grantId) ?? []) entries.delete(key);
        grants.delete(grantId);
      },
    };
    return adapter;
  };
}

/** Finds a free loopback port (for a provider that must start after the app). */
export async function reservePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

interface KoaLikeContext {
  type: string;
  status: number;
  body: unknown;
}

/** RP-Initiated and Back-Channel Logout on, with plain pages a scripted browser reads. */
function logoutFeatures(): Configuration {
  return {
    backchannelLogout: { enabled: true },
    rpInitiatedLogout: {
      enabled: true,
      // The confirm page: oidc-provider's form, the "yes" button outside it (form= attribute).
      logoutSource: async (ctx: KoaLikeContext, form: string) => {
        ctx.type = 'html';
        ctx.body = `<!DOCTYPE html><html><body>${form}<button type="submit" form="op.logoutForm" name="logout" value="yes">Sign out</button></body></html>`;
      },
      postLogoutSuccessSource: async (ctx: KoaLikeContext) => {
        ctx.type = 'html';
        ctx.body = '<!DOCTYPE html><html><body>Signed out</body></html>';
      },
    },
  };
}

/**
 * The provider's outgoing requests (back-channel logout) go through its `fetch`
 * with a dispatcher that refuses loopback and other special-use addresses, an SSRF
 * guard; the test apps listen on 127.0.0.1, so this fetch leaves it out.
 */
function logoutConfiguration(outgoing: OutgoingRequest[]): Configuration {
  return {
    fetch: async (url: string | URL, init: RequestInit & { dispatcher?: unknown }) => {
      const { dispatcher: _ssrfGuard, ...rest } = init;
      const record: OutgoingRequest = { url: String(url), method: rest.method ?? 'GET', body: rest.body === undefined || rest.body === null ? '' : String(rest.body) };
      outgoing.push(record);
      const res = await globalThis.fetch(url, rest);
      record.status = res.status;
      record.headers = res.headers;
      return res;
    },
  };
}

/** Starts the provider; close it with `close()`. */
export async function startOidcProvider(opts: OidcProviderOptions = {}): Promise<OidcProviderHarness> {
  const clients = new Map<string, ClientMetadata>();
  const requests: ProviderRequest[] = [];
  const serverErrors: unknown[] = [];
  const backchannel: BackchannelDelivery[] = [];
  const outgoing: OutgoingRequest[] = [];
  let handler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;

  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://placeholder').pathname;
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
    requests.push({ method: req.method ?? 'GET', path, headers });
    if (!handler) {
      res.statusCode = 503;
      res.end();
      return;
    }
    handler(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', resolve);
  });
  const port = (server.address() as AddressInfo).port;
  const issuer = `http://127.0.0.1:${port}`;

  const alice = {
    accountId: ALICE.sub,
    async claims() {
      return { ...ALICE };
    },
  };

  const ttl = opts.ttl ?? {};
  const configuration: Configuration = {
    adapter: createStorage(clients),
    clients: [],
    jwks: opts.jwks ?? processJwks(),
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    findAccount: async (_ctx: unknown, sub: string) => (sub === ALICE.sub ? alice : undefined),
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'given_name', 'family_name', 'preferred_username'],
    },
    scopes: ['openid', 'offline_access', 'email', 'profile'],
    responseTypes: ['code'],
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'client_secret_jwt', 'private_key_jwt', 'none'],
    clientDefaults: {
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      id_token_signed_response_alg: 'RS256',
      token_endpoint_auth_method: 'client_secret_basic',
    },
    interactions: { url: async (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: true, allowedPolicy: async () => true },
      revocation: {
        enabled: true,
        allowedPolicy: async (_ctx: unknown, client: { clientId: string }, token: { clientId?: string }) =>
          token.clientId === client.clientId,
      },
      ...(opts.logout ? logoutFeatures() : {}),
      ...opts.features,
    },
    rotateRefreshToken: opts.rotateRefreshToken ?? true,
    ttl: {
      AccessToken: ttl.accessToken ?? 3600,
      AuthorizationCode: 60,
      ClientCredentials: ttl.clientCredentials ?? 600,
      IdToken: ttl.idToken ?? 3600,
      RefreshToken: ttl.refreshToken ?? 86400,
      Interaction: 600,
      Session: 3600,
      Grant: 86400,
    },
    clientBasedCORS: () => false,
    ...(opts.logout ? logoutConfiguration(outgoing) : {}),
    // Errors as JSON: readable in a failed test's output.
    renderError: async (ctx: KoaLikeContext, out: Record<string, unknown>) => {
      ctx.type = 'json';
      ctx.body = out;
    },
    ...opts.configuration,
  };

  const provider = new Provider(issuer, configuration);
  provider.on('server_error', (_ctx: unknown, err: unknown) => serverErrors.push(err));
  provider.on('backchannel.success', (_ctx: unknown, client: unknown, accountId: unknown, sid: unknown) => {
    backchannel.push({ clientId: (client as { clientId: string }).clientId, accountId: String(accountId), ...(typeof sid === 'string' ? { sid } : {}) });
  });
  provider.on('backchannel.error', (_ctx: unknown, err: unknown, client: unknown, accountId: unknown, sid: unknown) => {
    backchannel.push({
      clientId: (client as { clientId: string }).clientId,
      accountId: String(accountId),
      ...(typeof sid === 'string' ? { sid } : {}),
      error: err instanceof Error ? err.message : String(err),
    });
  });

  const harness: OidcProviderHarness = {
    issuer,
    discoveryUrl: `${issuer}${PROVIDER_PATHS.discovery}`,
    port,
    provider,
    requests,
    serverErrors,
    backchannel,
    outgoing,
    interactionOutcome: 'approve',
    resetRequests() {
      requests.length = 0;
    },
    count(path, method) {
      return requests.filter((r) => r.path === path && (method === undefined || r.method === method.toUpperCase())).length;
    },
    async addClient(metadata) {
      const full: ClientMetadata = { ...metadata };
      if (full.grant_types === undefined) {
        full.grant_types =
          full.token_endpoint_auth_method === 'none'
            ? ['authorization_code', 'refresh_token']
            : ['authorization_code', 'refresh_token', 'client_credentials'];
      }
      try {
        await provider.Client.validate(full);
      } catch (err) {
        const description = (err as { error_description?: string }).error_description;
        throw new Error(`client ${full.client_id}: ${err instanceof Error ? err.message : String(err)} (${description ?? ''})`, { cause: err });
      }
      clients.set(full.client_id, full);
      return full;
    },
    removeClient(clientId) {
      clients.delete(clientId);
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
  for (const client of opts.clients ?? []) await harness.addClient(client);

  const interaction = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const details: Interaction = await provider.interactionDetails(req, res);
    if (harness.interactionOutcome === 'deny') {
      await provider.interactionFinished(
        req,
        res,
        { error: 'access_denied', error_description: 'End-User denied the request' },
        { mergeWithLastSubmission: false },
      );
      return;
    }
    const clientId = String(details.params.client_id);
    const grant =
      (details.grantId ? await provider.Grant.find(details.grantId) : undefined) ??
      new provider.Grant({ accountId: ALICE.sub, clientId });
    // Grant what was asked at once, so login and consent finish in one interaction.
    if (typeof details.params.scope === 'string') grant.addOIDCScope(details.params.scope);
    const missing = details.prompt.details;
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    for (const [resource, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
      grant.addResourceScope(resource, scopes.join(' '));
    }
    const grantId = await grant.save();
    await provider.interactionFinished(
      req,
      res,
      { login: { accountId: ALICE.sub }, consent: { grantId } },
      { mergeWithLastSubmission: false },
    );
  };

  const providerCallback = provider.callback();
  handler = (req, res) => {
    if (req.url?.startsWith('/interaction/')) {
      interaction(req, res).catch((err: unknown) => {
        serverErrors.push(err);
        res.statusCode = 500;
        res.setHeader('content-type', 'text/plain');
        res.end(`interaction failed: ${err instanceof Error ? err.message : String(err)}`);
      });
      return;
    }
    providerCallback(req, res);
  };
  return harness;
}

/** The auto-submitting form of `response_mode=form_post`, parsed. */
export interface FormPostResult {
  action: string;
  fields: Record<string, string>;
}

export type ProviderLoginResult = string | FormPostResult;

function htmlUnescape(s: string): string {
  return s.replace(/&(amp|lt|gt|quot|#39|#x27);/g, (_m, e: string) =>
    ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", '#x27': "'" })[e] ?? _m,
  );
}

/** Parses the first `<form method="post">` of a page, or undefined. */
export function parseAutoSubmitForm(html: string, baseUrl: string): FormPostResult | undefined {
  const form = /<form\b[^>]*\bmethod="post"[^>]*>([\s\S]*?)<\/form>/i.exec(html);
  if (!form) return undefined;
  const action = /\baction="([^"]*)"/i.exec(form[0]);
  if (!action) return undefined;
  const fields: Record<string, string> = {};
  for (const input of form[1].matchAll(/<input\b[^>]*>/gi)) {
    const name = /\bname="([^"]*)"/i.exec(input[0]);
    const value = /\bvalue="([^"]*)"/i.exec(input[0]);
    if (name) fields[htmlUnescape(name[1])] = value ? htmlUnescape(value[1]) : '';
  }
  return { action: new URL(htmlUnescape(action[1]), baseUrl).toString(), fields };
}

/**
 * Plays the user at the provider: follows redirects from `authorizationUrl` until one
 * points back to `appOrigin` and returns that URL (not requested); for
 * `response_mode=form_post`, returns the provider's form for the test to POST.
 * Throws with the provider's answer when it shows anything else (an error page).
 */
export async function loginAtProvider(
  browser: Browser,
  authorizationUrl: string,
  appOrigin: string,
  opts: { maxRedirects?: number } = {},
): Promise<ProviderLoginResult> {
  const app = new URL(appOrigin).origin;
  let url = authorizationUrl;
  for (let hop = 0; hop <= (opts.maxRedirects ?? 20); hop++) {
    const res = await browser.get(url);
    if (res.status >= 300 && res.status < 400 && res.location) {
      if (new URL(res.location).origin === app) return res.location;
      url = res.location;
      continue;
    }
    const form = parseAutoSubmitForm(res.text, url);
    if (form && new URL(form.action).origin === app) return form;
    throw new Error(`provider answered ${res.status} at ${url}: ${res.text.slice(0, 500)}`);
  }
  throw new Error(`too many redirects from ${authorizationUrl}`);
}

/** `loginAtProvider` for a redirect back: the callback URL. */
export async function loginForCallbackUrl(browser: Browser, authorizationUrl: string, appOrigin: string): Promise<string> {
  const result = await loginAtProvider(browser, authorizationUrl, appOrigin);
  if (typeof result !== 'string') throw new Error(`expected a redirect back, got a form_post to ${result.action}`);
  return result;
}

/** `loginAtProvider` for `response_mode=form_post`: the form to POST. */
export async function loginForFormPost(browser: Browser, authorizationUrl: string, appOrigin: string): Promise<FormPostResult> {
  const result = await loginAtProvider(browser, authorizationUrl, appOrigin);
  if (typeof result === 'string') throw new Error(`expected a form_post, got a redirect to ${result}`);
  return result;
}

/** A login started at the app: its 302 answer and the authorization URL it points to. */
export interface AppLoginStart {
  login: BrowserResponse;
  authorizationUrl: URL;
}

/**
 * GETs the app's guarded login URL and checks it answered 302 somewhere; the caller
 * asserts where. Throws with the app's answer otherwise (e.g. a 502 body).
 */
export async function startAppLogin(browser: Browser, loginUrl: string): Promise<AppLoginStart> {
  const login = await browser.get(loginUrl);
  if (login.status !== 302 || !login.location) {
    throw new Error(`login at ${loginUrl} answered ${login.status}: ${login.text.slice(0, 500)}`);
  }
  return { login, authorizationUrl: new URL(login.location) };
}

/**
 * A whole login: start at the app, play the user at the provider, deliver the
 * callback (GET, or POST for form_post) to the app. Returns the app's final answer.
 */
export async function loginThroughApp(browser: Browser, loginUrl: string): Promise<BrowserResponse> {
  const appOrigin = new URL(loginUrl).origin;
  const { authorizationUrl } = await startAppLogin(browser, loginUrl);
  const back = await loginAtProvider(browser, authorizationUrl.toString(), appOrigin);
  if (typeof back === 'string') return browser.get(back);
  return browser.request(back.action, { method: 'POST', body: new URLSearchParams(back.fields) });
}

/** What the provider did with a logout request (OpenID RP-Initiated Logout 1.0). */
export interface ProviderLogoutResult {
  /** The confirm page the provider showed. */
  confirm: BrowserResponse;
  /** Where the provider sent the browser once the user confirmed. */
  location: string;
}

/**
 * Plays the user at the provider's end_session_endpoint: opens `logoutUrl`, submits
 * the confirm form with "yes, sign me out" (every session of the user ends, and the
 * provider POSTs its back-channel logout tokens before it answers), and returns the
 * redirect that follows. Throws with the provider's answer on anything else.
 */
export async function logoutAtProvider(browser: Browser, logoutUrl: string): Promise<ProviderLogoutResult> {
  const confirm = await browser.get(logoutUrl);
  const form = parseAutoSubmitForm(confirm.text, logoutUrl);
  if (confirm.status !== 200 || !form) {
    throw new Error(`provider answered ${confirm.status} at ${logoutUrl}: ${confirm.text.slice(0, 500)}`);
  }
  const done = await browser.request(form.action, { method: 'POST', body: new URLSearchParams({ ...form.fields, logout: 'yes' }) });
  if (done.status < 300 || done.status >= 400 || !done.location) {
    throw new Error(`provider answered ${done.status} to the logout confirmation: ${done.text.slice(0, 500)}`);
  }
  return { confirm, location: done.location };
}
