/**
 * Helpers for logins across several app instances behind `startLoadBalancer`: every
 * app request is pinned to a named instance, the provider is played as usual.
 */
import type { Browser, BrowserResponse } from './browser.js';
import { BACKEND_HEADER, SERVED_BY_HEADER } from './load-balancer.js';
import { loginForCallbackUrl } from './oidc-provider.js';

/** GET through the balancer, pinned to instance `instance`; throws if another one answered. */
export async function getOn(browser: Browser, url: string, instance: number): Promise<BrowserResponse> {
  const res = await browser.get(url, { [BACKEND_HEADER]: String(instance) });
  const servedBy = res.headers.get(SERVED_BY_HEADER);
  if (servedBy !== String(instance)) throw new Error(`asked instance ${instance}, answered by ${servedBy ?? 'no instance'}`);
  return res;
}

export interface CrossLogin {
  /** The app's 302 answer to the login request. */
  login: BrowserResponse;
  authorizationUrl: URL;
  state: string;
  /** Where the provider sent the browser back (not requested yet). */
  callback: string;
}

/**
 * Starts a login at `loginUrl` on instance `instance` and plays the user at the
 * provider (`issuer`); returns the callback URL without requesting it.
 */
export async function loginOn(browser: Browser, loginUrl: string, instance: number, issuer: string): Promise<CrossLogin> {
  const login = await getOn(browser, loginUrl, instance);
  if (login.status !== 302 || !login.location) {
    throw new Error(`login on instance ${instance} answered ${login.status}: ${login.text.slice(0, 500)}`);
  }
  const authorizationUrl = new URL(login.location);
  if (authorizationUrl.origin !== issuer) throw new Error(`login redirected to ${authorizationUrl.origin}, not the provider ${issuer}`);
  const callback = await loginForCallbackUrl(browser, authorizationUrl.toString(), new URL(loginUrl).origin);
  return { login, authorizationUrl, state: authorizationUrl.searchParams.get('state') ?? '', callback };
}
