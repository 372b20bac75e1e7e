import { Inject, createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { OAuthResult, OAuthToken as OAuthTokenType, UserInfo } from './interfaces/oauth-token.interface.js';
import { getOAuthClientToken } from './oauth.constants.js';

interface RequestWithOAuth {
  oauth?: OAuthResult;
}

/** The token of the completed login: `req.oauth.token`. */
export type OAuthToken = OAuthTokenType;
/** Parameter decorator: the token of the completed login, `req.oauth.token`. */
export const OAuthToken = createParamDecorator(
  (_data: unknown, ctx: ExecutionContext): OAuthTokenType | undefined =>
    ctx.switchToHttp().getRequest<RequestWithOAuth>().oauth?.token,
);

/** Parameter decorator: the validated ID token claims, `req.oauth.userinfo`. */
export const OAuthUser = createParamDecorator(
  (_data: unknown, ctx: ExecutionContext): UserInfo | undefined =>
    ctx.switchToHttp().getRequest<RequestWithOAuth>().oauth?.userinfo,
);

/** Injects the client `name` made available by `OAuthModule.forFeature([name])`. */
export function InjectOAuthClient(name: string): PropertyDecorator & ParameterDecorator {
  return Inject(getOAuthClientToken(name));
}
