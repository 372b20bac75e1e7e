import 'reflect-metadata';
import { Global, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { describe, expect, it } from 'vitest';
import type { ResolvedModuleOptions } from '../../../lib/config/resolve-module-options.js';
import { MemoryStateStore, OAuthStateStore } from '../../../lib/index.js';
import { OAuthStateBackend } from '../../../lib/login/state-backend.provider.js';
import { OAUTH_RESOLVED_OPTIONS } from '../../../lib/oauth.constants.js';
import { FakeBrowser } from '../../support/fake-browser.js';

function options(stateStore: ResolvedModuleOptions['stateStore']): ResolvedModuleOptions {
  return {
    settings: { get: () => undefined },
    http: { fetch: globalThis.fetch, timeout: 1000 },
    stateStore,
    stateSecrets: ['s'.repeat(32)],
    stateTtl: 600,
    maxResolvedClients: 1000,
    resolvedClientTtl: 3600,
  };
}

/** The backend as Nest builds it, after module init, with `imports` beside it. */
async function backendIn(stateStore: ResolvedModuleOptions['stateStore'], imports: unknown[] = []): Promise<OAuthStateBackend> {
  const app = await Test.createTestingModule({
    imports: imports as never[],
    providers: [{ provide: OAUTH_RESOLVED_OPTIONS, useValue: options(stateStore) }, OAuthStateBackend],
  }).compile();
  await app.init();
  return app.get(OAuthStateBackend);
}

class CountingStore extends MemoryStateStore {
  sets = 0;
  override async set(key: string, data: object, ttl: number): Promise<void> {
    this.sets++;
    return super.set(key, data, ttl);
  }
}

describe('OAuthStateBackend', () => {
  it('defaults to the encrypted cookie', async () => {
    const b = new FakeBrowser();
    const backend = await backendIn(undefined);
    expect((await b.save(backend, 'k', { c: 'x' }))[0]).toMatch(/^oauth_s_/);
    expect(await b.take(backend, 'k')).toEqual({ c: 'x' });
  });

  it('uses the store the options name, bound to the browser', async () => {
    const store = new CountingStore();
    const b = new FakeBrowser();
    const lines = await b.save(await backendIn(store), 'k', { c: 'x' });
    expect(lines[0]).toMatch(/^oauth_bind=/);
    expect(store.sets).toBe(1);
  });

  it('finds an OAuthStateStore provider declared anywhere in the app when the options name none', async () => {
    const store = new CountingStore();
    @Global()
    @Module({ providers: [{ provide: OAuthStateStore, useValue: store }], exports: [OAuthStateStore] })
    class StoreModule {}
    const b = new FakeBrowser();
    const backend = await backendIn(undefined, [StoreModule]);
    const lines = await b.save(backend, 'k', { c: 'x' });
    expect(lines[0]).toMatch(/^oauth_bind=/);
    expect(store.sets).toBe(1);
    expect(await b.take(backend, 'k')).toEqual({ c: 'x' });
  });

  it('keeps the store the options name even when the app declares another', async () => {
    const declared = new CountingStore();
    @Global()
    @Module({ providers: [{ provide: OAuthStateStore, useValue: declared }], exports: [OAuthStateStore] })
    class StoreModule {}
    const lines = await new FakeBrowser().save(await backendIn('cookie', [StoreModule]), 'k', {});
    expect(lines[0]).toMatch(/^oauth_s_/);
    expect(declared.sets).toBe(0);
  });

  it('"memory" keeps state in the process, bound to the browser', async () => {
    const b = new FakeBrowser();
    const backend = await backendIn('memory');
    expect((await b.save(backend, 'k', { n: 1 }))[0]).toMatch(/^oauth_bind=/);
    expect(await b.take(backend, 'k')).toEqual({ n: 1 });
    expect(await new FakeBrowser().take(backend, 'k')).toBeUndefined();
  });
});
