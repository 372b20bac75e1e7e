/**
 * `nestjs-oauth-client/testing`: a provider on 127.0.0.1 for your e2e tests, generic
 * OpenID or a preset's dialect, so login routes are tested with no network.
 */
export { MockOAuthProvider, type MockOAuthProviderOptions, type MockLoginOptions } from './mock-oauth-provider.js';
export type { MockIdentity } from './mock-dialect.js';
export type { MockRequest } from './mock-http.js';
