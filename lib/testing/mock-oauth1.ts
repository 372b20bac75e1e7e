import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { numericId, type MockContext, type MockIdentity } from './mock-dialect.js';
import type { MockReply, MockRequest } from './mock-http.js';

interface TemporaryCredential {
  clientId: string;
  secret: string;
  callback: string;
  verifier?: string;
  login?: { identity: MockIdentity; raw: Record<string, unknown> };
}

interface TokenCredential {
  clientId: string;
  secret: string;
  identity: MockIdentity;
  raw: Record<string, unknown>;
}

const PATHS = {
  requestToken: '/oauth/request_token',
  authenticate: '/oauth/authenticate',
  authorize: '/oauth/authorize',
  accessToken: '/oauth/access_token',
  verifyCredentials: '/1.1/account/verify_credentials.json',
} as const;

/** Twitter's refusal of a request it cannot authenticate. */
const NOT_AUTHENTICATED: MockReply = { status: 401, json: { errors: [{ code: 32, message: 'Could not authenticate you.' }] } };
const TIMESTAMP_WINDOW = 300;

/**
 * Twitter's OAuth 1.0a endpoints (RFC 5849): temporary credentials with a confirmed
 * callback, the authenticate redirect, the verifier exchange and a signed API call.
 * Every request's HMAC-SHA1 signature is checked on the base string built from the
 * request as received, its timestamp within five minutes and its nonce used once.
 */
export class MockOAuth1Server {
  private readonly temporary = new Map<string, TemporaryCredential>();
  private readonly tokens = new Map<string, TokenCredential>();
  private readonly nonces = new Set<string>();

  constructor(
    private readonly mock: MockContext,
    private readonly takeLogin: () => { identity: MockIdentity; raw: Record<string, unknown> },
  ) {}

  async route(request: MockRequest, url: URL): Promise<MockReply | undefined> {
    switch (url.pathname) {
      case PATHS.requestToken:
        return request.method === 'POST' ? this.requestToken(request, url) : { status: 405, text: '' };
      case PATHS.authenticate:
      case PATHS.authorize:
        return this.authenticate(url.searchParams);
      case PATHS.accessToken:
        return request.method === 'POST' ? this.accessToken(request, url) : { status: 405, text: '' };
      case PATHS.verifyCredentials:
        return this.verifyCredentials(request, url);
      default:
        return undefined;
    }
  }

  private requestToken(request: MockRequest, url: URL): MockReply {
    const check = this.verify(request, url, () => undefined);
    if ('status' in check) return check;
    const callback = check.oauth.get('oauth_callback');
    if (!callback || (callback !== 'oob' && !/^https?:\/\//.test(callback))) {
      return { status: 401, json: { errors: [{ code: 417, message: 'Desktop applications only support the oauth_callback value \'oob\'' }] } };
    }
    const token = randomBytes(16).toString('base64url');
    const secret = randomBytes(24).toString('base64url');
    this.temporary.set(token, { clientId: check.clientId, secret, callback });
    return { status: 200, form: { oauth_token: token, oauth_token_secret: secret, oauth_callback_confirmed: 'true' } };
  }

  private authenticate(params: URLSearchParams): MockReply {
    const token = params.get('oauth_token') ?? '';
    const temp = this.temporary.get(token);
    if (!temp || temp.verifier) return { status: 400, html: '<h1>This page is no longer valid.</h1>' };
    temp.verifier = randomBytes(16).toString('base64url');
    temp.login = this.takeLogin();
    const back = new URL(temp.callback);
    back.searchParams.set('oauth_token', token);
    back.searchParams.set('oauth_verifier', temp.verifier);
    return { status: 302, redirect: back.toString() };
  }

  private accessToken(request: MockRequest, url: URL): MockReply {
    let temp: TemporaryCredential | undefined;
    const check = this.verify(request, url, (token) => {
      temp = this.temporary.get(token);
      return temp?.secret;
    });
    if ('status' in check) return check;
    const token = check.oauth.get('oauth_token')!;
    if (!temp || temp.clientId !== check.clientId || !temp.login) return NOT_AUTHENTICATED;
    const verifier = check.oauth.get('oauth_verifier') ?? check.params.get('oauth_verifier');
    if (verifier !== temp.verifier) return { status: 401, text: 'Error processing your OAuth request: Invalid oauth_verifier parameter' };
    this.temporary.delete(token);
    const access = `${numericId(temp.login.identity.sub)}-${randomBytes(16).toString('base64url')}`;
    const secret = randomBytes(24).toString('base64url');
    this.tokens.set(access, { clientId: check.clientId, secret, identity: temp.login.identity, raw: temp.login.raw });
    return {
      status: 200,
      form: {
        oauth_token: access,
        oauth_token_secret: secret,
        user_id: temp.login.identity.sub,
        screen_name: screenName(temp.login.identity),
      },
    };
  }

  private verifyCredentials(request: MockRequest, url: URL): MockReply {
    if (request.method !== 'GET') return { status: 405, text: '' };
    let credential: TokenCredential | undefined;
    const check = this.verify(request, url, (token) => {
      credential = this.tokens.get(token);
      return credential?.secret;
    });
    if ('status' in check) return check;
    if (!credential || credential.clientId !== check.clientId) return NOT_AUTHENTICATED;
    const c = credential.identity;
    const profile: Record<string, unknown> = {
      id: numericId(c.sub),
      id_str: c.sub,
      name: c.name ?? screenName(c),
      screen_name: screenName(c),
      location: '',
      description: '',
      url: null,
      protected: false,
      followers_count: 0,
      friends_count: 0,
      created_at: 'Wed Mar 21 20:50:14 +0000 2007',
      verified: false,
      profile_image_url_https: typeof c.picture === 'string' ? c.picture : `https://pbs.twimg.com/profile_images/${c.sub}/avatar_normal.jpg`,
    };
    // Twitter returns the address only on request, and only a verified one.
    if (url.searchParams.get('include_email') === 'true' && typeof c.email === 'string' && c.email_verified !== false) {
      profile.email = c.email;
    }
    return { status: 200, json: { ...profile, ...credential.raw } };
  }

  /**
   * RFC 5849 section 3.2: the signature over the request as received. `secretOf`
   * gives the token secret of the request's `oauth_token` (none for temporary
   * credential requests).
   */
  private verify(
    request: MockRequest,
    url: URL,
    secretOf: (token: string) => string | undefined,
  ): MockReply | { clientId: string; oauth: Map<string, string>; params: URLSearchParams } {
    const oauth = authorizationParams(request.headers.authorization);
    if (!oauth) return NOT_AUTHENTICATED;
    const clientId = oauth.get('oauth_consumer_key') ?? '';
    const client = this.mock.client(clientId);
    if (!client?.clientSecret) return NOT_AUTHENTICATED;
    if (oauth.get('oauth_signature_method') !== 'HMAC-SHA1') return NOT_AUTHENTICATED;
    if ((oauth.get('oauth_version') ?? '1.0') !== '1.0') return NOT_AUTHENTICATED;
    const timestamp = Number(oauth.get('oauth_timestamp'));
    if (!Number.isInteger(timestamp) || Math.abs(timestamp - Date.now() / 1000) > TIMESTAMP_WINDOW) {
      return { status: 401, json: { errors: [{ code: 135, message: 'Timestamp out of bounds.' }] } };
    }
    const nonce = oauth.get('oauth_nonce');
    if (!nonce || this.nonces.has(`${clientId}:${timestamp}:${nonce}`)) return NOT_AUTHENTICATED;
    const token = oauth.get('oauth_token');
    let tokenSecret = '';
    if (token !== undefined) {
      const found = secretOf(token);
      if (found === undefined) return NOT_AUTHENTICATED;
      tokenSecret = found;
    }
    const params = new URLSearchParams(url.search);
    if (request.form) for (const [k, v] of new URLSearchParams(request.body)) params.append(k, v);
    const pairs: Array<[string, string]> = [...params];
    for (const [k, v] of oauth) if (k !== 'oauth_signature' && k !== 'realm') pairs.push([k, v]);
    const expected = createHmac('sha1', `${enc(client.clientSecret)}&${enc(tokenSecret)}`)
      .update(baseString(request.method, request.headers.host ?? '', url.pathname, pairs))
      .digest();
    const given = Buffer.from(oauth.get('oauth_signature') ?? '', 'base64');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return NOT_AUTHENTICATED;
    this.nonces.add(`${clientId}:${timestamp}:${nonce}`);
    return { clientId, oauth, params };
  }
}

/** RFC 5849 section 3.4.1: method, base string URI and normalised parameters. */
export function baseString(method: string, host: string, path: string, pairs: Array<[string, string]>): string {
  const normalised = pairs
    .map(([k, v]) => [enc(k), enc(v)] as const)
    .sort(([ak, av], [bk, bv]) => (ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const uri = `http://${host.toLowerCase()}${path}`;
  return `${method.toUpperCase()}&${enc(uri)}&${enc(normalised)}`;
}

/** RFC 5849 section 3.6: percent-encoding of everything but the unreserved set. */
function enc(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** RFC 5849 section 3.5.1: the `OAuth` Authorization header's parameters, decoded. */
function authorizationParams(header: string | undefined): Map<string, string> | undefined {
  const m = /^OAuth\s+(.*)$/i.exec(header ?? '');
  if (!m) return undefined;
  const out = new Map<string, string>();
  for (const part of m[1]!.split(',')) {
    const kv = /^\s*([^=\s]+)\s*=\s*"([^"]*)"\s*$/.exec(part);
    if (!kv) return undefined;
    try {
      out.set(decodeURIComponent(kv[1]!), decodeURIComponent(kv[2]!));
    } catch {
      return undefined;
    }
  }
  return out;
}

function screenName(identity: MockIdentity): string {
  return typeof identity.preferred_username === 'string' ? identity.preferred_username : identity.sub;
}
