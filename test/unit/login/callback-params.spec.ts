import { describe, expect, it } from 'vitest';
import { callbackParams, givenParams } from '../../../lib/login/callback-params.js';
import type { PlatformRequest } from '../../../lib/login/http-platform.js';

const get = (url: string): PlatformRequest => ({ headers: {}, method: 'GET', originalUrl: url });

describe('callbackParams', () => {
  it('reads the query from the raw URL, every value per name', () => {
    const p = callbackParams(get('/cb?code=c&state=s&state=t&empty='));
    expect([...p]).toEqual([
      ['code', ['c']],
      ['state', ['s', 't']],
      ['empty', ['']],
    ]);
  });

  it('reads a Fastify request by its raw URL', () => {
    const p = callbackParams({ headers: {}, method: 'GET', url: '/ignored', raw: { url: '/cb?code=raw', headers: {} } });
    expect(p.get('code')).toEqual(['raw']);
  });

  it('merges a form_post body with the query', () => {
    const p = callbackParams({ headers: {}, method: 'POST', originalUrl: '/cb?iss=q', body: { code: 'c', state: ['s1', 's2'] } });
    expect(p.get('iss')).toEqual(['q']);
    expect(p.get('code')).toEqual(['c']);
    expect(p.get('state')).toEqual(['s1', 's2']);
    const both = callbackParams({ headers: {}, method: 'POST', originalUrl: '/cb?state=q', body: 'state=b&code=c' });
    expect(both.get('state')).toEqual(['q', 'b']);
  });

  it('ignores a body on GET and a body that is not a form', () => {
    expect(callbackParams({ headers: {}, method: 'GET', originalUrl: '/cb', body: { code: 'c' } }).has('code')).toBe(false);
    expect(callbackParams({ headers: {}, method: 'POST', originalUrl: '/cb', body: Buffer.from('code=c') }).has('code')).toBe(false);
  });

  it('turns a nested value from an extended body parser into something no check accepts', () => {
    const p = callbackParams({ headers: {}, method: 'POST', originalUrl: '/cb', body: { state: { $ne: 'x' } } });
    expect(p.get('state')).toEqual(['\u0000']);
  });

  it('keeps names like __proto__ as plain entries', () => {
    const p = callbackParams(get('/cb?__proto__=x&constructor=y'));
    expect(p.get('__proto__')).toEqual(['x']);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it('parses a request once', () => {
    const req = get('/cb?code=c');
    expect(callbackParams(req)).toBe(callbackParams(req));
  });

  it('refuses an oversized value as invalid_request, naming the parameter safely', () => {
    expect(() => callbackParams(get(`/cb?state=${'s'.repeat(5000)}`))).toThrow(
      expect.objectContaining({ code: 'invalid_request', message: 'The callback parameter "state" is too long.' }),
    );
    expect(() => callbackParams(get(`/cb?${encodeURIComponent('a\nb<script>')}=${'v'.repeat(5000)}`))).toThrow(
      expect.objectContaining({ code: 'invalid_request', message: 'The callback parameter "a?b?script?" is too long.' }),
    );
    expect(() => callbackParams({ headers: {}, method: 'POST', originalUrl: '/cb', body: { code: 'c'.repeat(5000) } })).toThrow(
      expect.objectContaining({ code: 'invalid_request' }),
    );
  });
});

describe('givenParams', () => {
  it('wraps caller-given parameters as single values', () => {
    expect([...givenParams({ code: 'c', state: 's' })]).toEqual([
      ['code', ['c']],
      ['state', ['s']],
    ]);
  });
});
