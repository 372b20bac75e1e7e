import { describe, expect, it } from 'vitest';
import { appendQuery, buildAuthorizationRequest } from '../../../../lib/clients/oauth2/authorization-request.js';
import { s256Challenge } from '../../../../lib/clients/oauth2/pkce.js';
import type { AuthorizeOptions } from '../../../../lib/index.js';
import { validateClientConfig } from '../../../../lib/config/validate-client.js';

const endpoint = 'https://op.example/authorize';
const redirectUri = 'https://app.example/cb';

function config(extra: Record<string, unknown> = {}) {
  return validateClientConfig('op', { clientId: 'the-client', accessTokenUrl: 'https://op.example/token', authorizeUrl: endpoint, ...extra });
}

function build(extra: Record<string, unknown>, opts: AuthorizeOptions = {}) {
  const { params, pending } = buildAuthorizationRequest(config(extra), redirectUri, opts);
  const out = { url: appendQuery(endpoint, params), ...pending };
  return { out, query: new URL(out.url).searchParams };
}

describe('buildAuthorizationRequest', () => {
  it('asks for a code with state, PKCE S256 and the redirect URI, and returns what the callback needs', () => {
    const { out, query } = build({ scope: 'email' });
    expect(out.url.startsWith(`${endpoint}?`)).toBe(true);
    expect(query.get('response_type')).toBe('code');
    expect(query.get('client_id')).toBe('the-client');
    expect(query.get('redirect_uri')).toBe(redirectUri);
    expect(query.get('scope')).toBe('email');
    expect(query.get('state')).toBe(out.state);
    expect(out.state).toMatch(/^[\w-]{43}$/);
    expect(query.get('code_challenge_method')).toBe('S256');
    expect(query.get('code_challenge')).toBe(s256Challenge(out.code_verifier!));
    expect(out.redirect_uri).toBe(redirectUri);
    expect(out.openid).toBe(false);
    expect(out.nonce).toBeUndefined();
    expect(query.has('nonce')).toBe(false);
  });

  it('sends no PKCE when the client turned it off', () => {
    const { out, query } = build({ codeChallengeMethod: false });
    expect(query.has('code_challenge')).toBe(false);
    expect(query.has('code_challenge_method')).toBe(false);
    expect(out.code_verifier).toBeUndefined();
  });

  it('two logins share no state, verifier or nonce', () => {
    const a = build({ scope: 'openid' }).out;
    const b = build({ scope: 'openid' }).out;
    expect(a.state).not.toBe(b.state);
    expect(a.code_verifier).not.toBe(b.code_verifier);
    expect(a.nonce).not.toBe(b.nonce);
  });

  describe('the effective scope decides OpenID Connect (and so the nonce)', () => {
    it.each<[string, Record<string, unknown>, AuthorizeOptions, string | null, boolean]>([
      ['client scope', { scope: 'openid email' }, {}, 'openid email', true],
      ['client scope as a list', { scope: ['openid', 'profile'] }, {}, 'openid profile', true],
      ['authorizeParams.scope over the client scope', { scope: 'email', authorizeParams: { scope: 'openid' } }, {}, 'openid', true],
      ['params.scope over authorizeParams.scope', { authorizeParams: { scope: 'email' } }, { params: { scope: 'openid email' } }, 'openid email', true],
      ['opts.scope over everything', { scope: 'email', authorizeParams: { scope: 'email' } }, { scope: ['openid'], params: { scope: 'email' } }, 'openid', true],
      ['opts.scope without openid over a client scope with it', { scope: 'openid' }, { scope: 'email' }, 'email', false],
      ['params.scope without openid over a client scope with it', { scope: 'openid' }, { params: { scope: 'email' } }, 'email', false],
      ['opts.scope over an openid slipped into params', {}, { scope: 'email', params: { scope: 'openid' } }, 'email', false],
      ['no scope anywhere', {}, {}, null, false],
      ['extra whitespace is collapsed', {}, { scope: '  openid   email ' }, 'openid email', true],
    ])('%s', (_what, extra, opts, sentScope, openid) => {
      const { out, query } = build(extra, opts);
      expect(query.get('scope')).toBe(sentScope);
      expect(out.openid).toBe(openid);
      expect(query.has('nonce')).toBe(openid);
      if (openid) expect(query.get('nonce')).toBe(out.nonce);
      else expect(out.nonce).toBeUndefined();
    });

    // Whatever the sources, what is sent and what is required must agree: a request
    // whose sent scope holds "openid" must carry a nonce and require an ID token.
    it('never sends openid without a nonce, also when an empty scope hides one given elsewhere', () => {
      const cases: Array<[Record<string, unknown>, AuthorizeOptions]> = [
        [{ authorizeParams: { scope: 'openid' } }, { scope: [] }],
        [{ authorizeParams: { scope: 'openid' } }, { scope: '' }],
        [{}, { scope: [], params: { scope: 'openid' } }],
      ];
      for (const [extra, opts] of cases) {
        const { out, query } = build(extra, opts);
        const sentOpenid = (query.get('scope') ?? '').split(' ').includes('openid');
        expect({ opts, nonce: query.has('nonce'), openid: out.openid }).toEqual({ opts, nonce: sentOpenid, openid: sentOpenid });
      }
    });
  });

  it.each(['response_type', 'client_id', 'redirect_uri', 'state', 'code_challenge', 'code_challenge_method', 'nonce'])(
    'extra parameters cannot replace %s, from the configuration or per login',
    (name) => {
      const hostile = { [name]: 'attacker-value' };
      const { out, query } = build({ scope: 'openid', authorizeParams: hostile }, { params: hostile });
      expect(query.getAll(name)).toHaveLength(1);
      expect(query.get(name)).not.toBe('attacker-value');
      expect(out.state).not.toBe('attacker-value');
      expect(out.nonce).not.toBe('attacker-value');
    },
  );

  it('extra parameters add to the request: per login over configured', () => {
    const { query } = build({ authorizeParams: { access_type: 'offline', prompt: 'consent' } }, { params: { prompt: 'select_account', login_hint: 'a@b.c' } });
    expect(query.get('access_type')).toBe('offline');
    expect(query.get('prompt')).toBe('select_account');
    expect(query.get('login_hint')).toBe('a@b.c');
  });

  it('keeps max_age for the ID token check when it is a number of seconds', () => {
    expect(build({ scope: 'openid', authorizeParams: { max_age: '300' } }).out.max_age).toBe(300);
    expect(build({ scope: 'openid' }, { params: { max_age: '0' } }).out.max_age).toBe(0);
    expect(build({ scope: 'openid' }, { params: { max_age: 'soon' } }).out.max_age).toBeUndefined();
    expect(build({ scope: 'openid' }).out.max_age).toBeUndefined();
  });

  // PendingOAuth2Login documents max_age as "Sent as max_age (or 0 for prompt=login)",
  // and the API contract requires auth_time to be checked for prompt=login as well.
  it('prompt=login asks for a fresh authentication: the pending login keeps max_age 0', () => {
    expect(build({ scope: 'openid' }, { params: { prompt: 'login' } }).out.max_age).toBe(0);
  });

  it('keeps response_mode, so the callback and the state cookie match it', () => {
    expect(build({ authorizeParams: { response_mode: 'form_post' } }).out.response_mode).toBe('form_post');
    expect(build({}, { params: { response_mode: 'query' } }).out.response_mode).toBe('query');
    expect(build({}).out.response_mode).toBeUndefined();
  });
});

describe('appendQuery', () => {
  it('keeps a query the endpoint has, lets ours win on a clash, and drops a fragment', () => {
    const params = new URLSearchParams({ client_id: 'ours', state: 's' });
    expect(appendQuery('https://op.example/a?tenant=t1&client_id=theirs#frag', params)).toBe('https://op.example/a?tenant=t1&client_id=ours&state=s');
    expect(appendQuery('https://op.example/a#frag', params)).toBe('https://op.example/a?client_id=ours&state=s');
  });
});
