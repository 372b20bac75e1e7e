import { describe, expect, it } from 'vitest';
import type { PlatformRequest } from '../../../lib/login/http-platform.js';
import { resolveRedirectUri } from '../../../lib/login/redirect-uri.js';

/** An Express request as it looks behind the platform's trust-proxy decision. */
const express = (extra: Partial<PlatformRequest> = {}): PlatformRequest => ({
  headers: { host: 'app.example:8080' },
  protocol: 'http',
  originalUrl: '/auth/op?next=%2Fhome&x=1',
  ...extra,
});

describe('resolveRedirectUri', () => {
  it('uses an absolute configured URI as it is', () => {
    expect(resolveRedirectUri(express(), 'https://app.example/cb?tenant=1')).toBe('https://app.example/cb?tenant=1');
    expect(resolveRedirectUri(express(), 'HTTP://app.example/cb')).toBe('HTTP://app.example/cb');
  });

  it('resolves a configured path against the request origin', () => {
    expect(resolveRedirectUri(express(), '/auth/op/callback')).toBe('http://app.example:8080/auth/op/callback');
    expect(resolveRedirectUri(express({ protocol: 'https', host: 'public.example' }), '/cb')).toBe('https://public.example/cb');
  });

  it('without a configured URI, is the login route itself without its query', () => {
    expect(resolveRedirectUri(express(), undefined)).toBe('http://app.example:8080/auth/op');
  });

  it('follows the platform for the origin, not raw forwarded headers', () => {
    // X-Forwarded-* count only when the platform trusted them and set protocol/host.
    const req = express({ headers: { host: 'app.example', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'evil.example' } });
    expect(resolveRedirectUri(req, '/cb')).toBe('http://app.example/cb');
    expect(resolveRedirectUri({ ...req, protocol: 'https', host: 'proxy.example' }, '/cb')).toBe('https://proxy.example/cb');
  });

  it('uses the Fastify request URL when there is no originalUrl', () => {
    const req: PlatformRequest = { headers: { host: 'app.example' }, protocol: 'http', url: '/login?x=1', raw: { url: '/login?x=1', headers: {} } };
    expect(resolveRedirectUri(req, undefined)).toBe('http://app.example/login');
  });
});
