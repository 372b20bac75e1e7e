import { BadGatewayException, Controller, Get, Inject, Post, Redirect, Req, Res, UseGuards } from '@nestjs/common';
import type { Request, Response } from 'express';
import {
  OAuthGuard,
  OAuthRegistry,
  OAuthToken,
  OAuthUser,
  type OAuth2Client,
  type OAuth2Token,
  type UserInfo,
} from '../lib/index.js';
import { providerLabel } from './sample.config.js';
import { maskToken, renderHome, type SignedInUser } from './sample.page.js';
import { SESSION_COOKIE } from './session.js';

@Controller()
export class SampleController {
  constructor(@Inject(OAuthRegistry) private readonly registry: OAuthRegistry) {}

  /** Only configured providers are registered, so the registry lists what to offer. */
  @Get()
  home(@Req() req: Request, @Res() res: Response): void {
    const providers = this.registry.names().map((name) => ({ name, label: providerLabel(name) }));
    res.type('html').setHeader('cache-control', 'no-store');
    res.send(renderHome(providers, req.session.user));
  }

  // One route per provider serves both steps: the guard answers a plain GET with a
  // redirect to the provider, and completes the callback the provider sends back
  // here; only then does the handler run.
  @Get('auth/local')
  @UseGuards(OAuthGuard('local'))
  @Redirect('/')
  async local(@Req() req: Request, @OAuthToken() token: OAuth2Token, @OAuthUser() user: UserInfo): Promise<void> {
    await this.logIn(req, { provider: 'local', claims: { ...user }, token: maskToken(token.access_token) });
  }

  @Get('auth/google')
  @UseGuards(OAuthGuard('google'))
  @Redirect('/')
  async google(@Req() req: Request, @OAuthToken() token: OAuth2Token, @OAuthUser() user: UserInfo): Promise<void> {
    await this.logIn(req, { provider: 'google', claims: { ...user }, token: maskToken(token.access_token) });
  }

  @Get('auth/github')
  @UseGuards(OAuthGuard('github'))
  @Redirect('/')
  async github(@Req() req: Request, @OAuthToken() token: OAuth2Token): Promise<void> {
    // GitHub is plain OAuth 2 (no ID token): the profile comes from its API, through
    // the client, which resolves 'user' under apiBaseUrl and sends the token.
    const client = this.registry.get('github') as OAuth2Client;
    const answer = await client.get('user', { token });
    if (!answer.ok) throw new BadGatewayException(`GitHub answered ${answer.status} to GET /user.`);
    const profile = (await answer.json()) as { id: number; login: string; name?: string | null; email?: string | null };
    await this.logIn(req, {
      provider: 'github',
      claims: { sub: String(profile.id), login: profile.login, name: profile.name, email: profile.email },
      token: maskToken(token.access_token),
    });
  }

  @Post('logout')
  @Redirect('/', 303)
  async logout(@Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<void> {
    await new Promise<void>((resolve, reject) => req.session.destroy((err: unknown) => (err ? reject(err) : resolve())));
    res.clearCookie(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'lax' });
  }

  /** A new session id at login, so a session id planted before it is worth nothing. */
  private async logIn(req: Request, user: SignedInUser): Promise<void> {
    await new Promise<void>((resolve, reject) => req.session.regenerate((err: unknown) => (err ? reject(err) : resolve())));
    req.session.user = user;
  }
}
