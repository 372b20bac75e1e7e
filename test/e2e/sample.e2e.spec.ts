import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSample, type RunningSample } from '../../sample/app.js';
import { maskToken } from '../../sample/sample.controller.js';
import { Browser } from '../support/browser.js';

let sample: RunningSample;

beforeAll(async () => {
  sample = await startSample({ port: 0, providerPort: 0, host: '127.0.0.1', env: { NODE_ENV: 'test' } });
});
afterAll(async () => {
  await sample.close();
});

describe('the sample app', () => {
  it('lists only the configured providers', async () => {
    const home = await new Browser().get(`${sample.url}/`);
    expect(home.status).toBe(200);
    expect(home.text).toContain('href="/auth/local"');
    expect(home.text).not.toContain('/auth/github');
    expect(home.text).not.toContain('/auth/google');
  });

  it('walks a full login against the embedded provider, shows the claims and a masked token, logs out', async () => {
    const browser = new Browser();
    const login = await browser.get(`${sample.url}/auth/local`);
    expect(login.status).toBe(302);
    // At the provider: follow to its sign-in page.
    const signIn = await browser.follow(login.location!, { stop: (u) => u.startsWith(sample.url) });
    expect(signIn.status).toBe(200);
    expect(signIn.text).toContain('Continue as Alice Liddell');
    const submitted = await browser.request(signIn.url, { method: 'POST', body: new URLSearchParams({ user: 'alice' }) });
    const back = await browser.follow(submitted.location!, { stop: (u) => u.startsWith(sample.url) });
    expect(back.location!.startsWith(`${sample.url}/auth/local?code=`)).toBe(true);
    const callback = await browser.get(back.location!);
    expect(callback.status).toBe(302);
    expect(callback.location).toBe(`${sample.url}/`);

    const home = await browser.get(`${sample.url}/`);
    expect(home.text).toContain('Signed in with <b>local</b>');
    expect(home.text).toContain('<th>sub</th><td>alice</td>');
    expect(home.text).toContain('<th>email</th><td>alice@example.com</td>');
    const shown = /<code id="token">([^<]*)<\/code>/.exec(home.text)![1]!;
    expect(shown).toMatch(/^.{4}…\(\d+ chars\)$/);

    const logout = await browser.get(`${sample.url}/logout`);
    expect(logout.status).toBe(302);
    const after = await browser.get(`${sample.url}/`);
    expect(after.text).not.toContain('Signed in');
    expect(after.text).toContain('href="/auth/local"');
  });

  it('a user who denies at the provider gets the access_denied answer', async () => {
    const browser = new Browser();
    const login = await browser.get(`${sample.url}/auth/local`);
    const signIn = await browser.follow(login.location!, { stop: (u) => u.startsWith(sample.url) });
    const submitted = await browser.request(signIn.url, { method: 'POST', body: new URLSearchParams({ user: '' }) });
    const back = await browser.follow(submitted.location!, { stop: (u) => u.startsWith(sample.url) });
    const callback = await browser.get(back.location!);
    expect(callback.status).toBe(401);
    expect(callback.json()).toMatchObject({ error: 'access_denied' });
  });

  it('masks tokens', () => {
    expect(maskToken('abcdefghijklmnop')).toBe('abcd…(16 chars)');
    expect(maskToken('short')).toBe('••••');
  });
});
