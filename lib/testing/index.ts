export { MockOAuthProvider, type MockOAuthProviderOptions, type MockLoginOptions } from './mock-oauth-provider.js';
export type { MockIdentity } from './mock-dialect.js';
export type { MockRequest } from './mock-http.js';
