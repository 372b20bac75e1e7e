import { oauthError, type MockDialect } from '../mock-dialect.js';

/**
 * Twitter's OAuth 1.0a: served by `MockOAuth1Server` (request_token, authenticate,
 * access_token, `1.1/account/verify_credentials.json`), every request's HMAC-SHA1
 * signature verified. Nothing of OAuth 2 is served.
 */
export const twitterDialect: MockDialect = {
  name: 'twitter',
  openid: false,
  paths: { authorize: '/oauth2-not-served/authorize', token: '/oauth2-not-served/token' },
  clientAuth: [],
  pkce: 'optional',
  rotateRefreshTokens: false,
  refreshIssued: () => false,
  tokenError: oauthError,
  api: [],
};
