import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import { OAuthGuard } from '../../../lib/index.js';

describe('OAuthGuard', () => {
  it('is memoized per name and options compared by value', () => {
    expect(OAuthGuard('a')).toBe(OAuthGuard('a'));
    expect(OAuthGuard('a', { scope: ['x'], returnTo: true })).toBe(OAuthGuard('a', { returnTo: true, scope: ['x'] }));
    expect(OAuthGuard('a', { scope: ['x'] })).not.toBe(OAuthGuard('a', { scope: ['y'] }));
    expect(OAuthGuard('a')).not.toBe(OAuthGuard('b'));
  });

  it('injects the registry and the login layer explicitly (works without emitted metadata)', () => {
    const params = Reflect.getMetadata('self:paramtypes', OAuthGuard('meta')) as Array<{ index: number; param: unknown }>;
    expect(params.sort((a, b) => a.index - b.index).map((p) => (p.param as { name: string }).name)).toEqual(['OAuthRegistry', 'OAuthLoginService']);
  });
});

