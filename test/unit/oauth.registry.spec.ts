import 'reflect-metadata';
import { ConfigModule } from '@nestjs/config';
import { Test } from '@nestjs/testing';
import { describe, expect, it } from 'vitest';
import { OAuthConfigError, OAuthModule, OAuthRegistry } from '../../lib/index.js';

const client = { clientId: 'id', clientSecret: 'secret', authorizeUrl: 'https://p.example/a', accessTokenUrl: 'https://p.example/t' };
const secret = 'a'.repeat(32);

async function compile() {
  return Test.createTestingModule({
    imports: [ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [() => ({})] }), OAuthModule.forRoot({ stateSecret: secret })],
  }).compile();
}

describe('OAuthRegistry', () => {
  it('registers and unregisters clients at run time', async () => {
    const app = await compile();
    const registry = app.get(OAuthRegistry);
    const c = registry.register('late', client);
    expect(registry.get('late')).toBe(c);
    expect(() => registry.register('late', client)).toThrow('An OAuth client named "late" exists; pass { replace: true } to replace it.');
    const replaced = registry.register('late', { ...client, scope: 'x' }, { replace: true });
    expect(registry.get('late')).toBe(replaced);
    expect(() => registry.register('bad', { clientId: 'x' })).toThrow(OAuthConfigError);
    expect(registry.unregister('late')).toBe(true);
    expect(registry.has('late')).toBe(false);
    expect(() => registry.get('late')).toThrow(OAuthConfigError);
  });

  it('tokenUpdate$ completes on shutdown', async () => {
    const app = await compile();
    let completed = false;
    app.get(OAuthRegistry).tokenUpdate$.subscribe({ complete: () => (completed = true) });
    await app.close();
    expect(completed).toBe(true);
  });
});
