import { describe, expect, it } from 'vitest';
import { OAuthStateStore } from '../../../lib/index.js';
import { BoundStoreBackend } from '../../../lib/login/bound-store.backend.js';
import { MemoryStateStore } from '../../../lib/state/memory-state.store.js';
import { FakeBrowser } from '../../support/fake-browser.js';

describe('server-side state bound to the browser', () => {
  it('finds the state only in the browser that started the login', async () => {
    const store = new MemoryStateStore();
    const backend = new BoundStoreBackend(store);
    const alice = new FakeBrowser();
    const mallory = new FakeBrowser();
    await mallory.save(backend, 'mallory-state', { c: 'op' });
    await alice.save(backend, 'alice-state', { c: 'op' });
    expect(alice.cookies.get('oauth_bind')).toMatch(/^[\w-]{43}$/);
    // Mallory's state carried to Alice's browser: nothing, and Mallory's entry stays.
    expect(await alice.take(backend, 'mallory-state')).toBeUndefined();
    expect(await mallory.take(backend, 'mallory-state')).toEqual({ c: 'op' });
    expect(await alice.take(backend, 'alice-state')).toEqual({ c: 'op' });
    expect(await alice.take(backend, 'alice-state')).toBeUndefined();
    // No binding cookie at all: nothing.
    expect(await new FakeBrowser().take(backend, 'alice-state')).toBeUndefined();
  });

  it('answers state_store_unavailable for a failing or slow store', async () => {
    class Broken extends OAuthStateStore {
      async set(): Promise<void> {
        throw new Error('ECONNREFUSED');
      }
      async take(): Promise<object | undefined> {
        return new Promise(() => undefined);
      }
    }
    const backend = new BoundStoreBackend(new Broken(), 50);
    const b = new FakeBrowser();
    await expect(b.save(backend, 'k', {})).rejects.toMatchObject({ code: 'state_store_unavailable', message: 'The state store failed to save the login state.' });
    b.cookies.set('oauth_bind', 'x'.repeat(43));
    await expect(b.take(backend, 'k')).rejects.toMatchObject({
      code: 'state_store_unavailable',
      message: 'The state store did not read the login state within 50 ms.',
    });
  });
});
