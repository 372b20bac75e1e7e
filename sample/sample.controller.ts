import { Controller, Get, Inject, Redirect, Req, Res, UseGuards } from '@nestjs/common';
import type { Request, Response } from 'express';
import { OAuthGuard, OAuthRegistry, type OAuth2Client, type OAuth2Token, type OAuthResult } from '../lib/index.js';
import { REAL_PROVIDERS, SAMPLE_OPTIONS, type SampleOptions } from './sample.config.js';
import { renderHome, type SignedInUser } from './sample.page.js';

interface SampleSession {
  user?: SignedInUser;
  destroy(cb: (err?: unknown) => void): void;
}
type SampleRequest = Request & { session: SampleSession; oauth?: OAuthResult };

/** Shows only the first characters: enough to tell tokens apart, useless to a thief. */
export function maskToken(token: string): string {
  return token.length <= 8 ? '••••' : `${token.slice(0, 4)}…(${token.length} chars)`;
}

@Controller()
export class SampleController {
  constructor(
    @Inject(OAuthRegistry) private readonly registry: OAuthRegistry,
    @Inject(SAMPLE_OPTIONS) private readonly options: SampleOptions,
  ) {}

  @Get()
  home(@Req() req: SampleRequest, @Res() res: Response): void {
    const providers = [
      ...(this.options.local ? [{ name: 'local', label: 'the embedded OpenID provider' }] : []),
      ...this.options.real.map((name) => ({ name, label: REAL_PROVIDERS[name].label })),
    ];
    res.type('html').send(renderHome(providers, req.session.user));
  }

  // One route per provider serves both steps: the guard redirects a plain GET to the
  // provider, and completes the callback the provider sends back here.
  @Get('auth/local')
  @UseGuards(OAuthGuard('local'))
  @Redirect('/')
  local(@Req() req: SampleRequest): void {
    this.signIn(req);
  }

  @Get('auth/google')
  @UseGuards(OAuthGuard('google'))
  @Redirect('/')
  google(@Req() req: SampleRequest): void {
    this.signIn(req);
  }

  @Get('auth/github')
  @UseGuards(OAuthGuard('github'))
  @Redirect('/')
  async github(@Req() req: SampleRequest): Promise<void> {
    const oauth = req.oauth!;
    // GitHub is plain OAuth 2: the profile comes from its API, called through the client.
    const client = this.registry.get('github') as OAuth2Client;
    const token = oauth.token as OAuth2Token;
    const res = await client.get('user', { token });
    const profile = (await res.json()) as { id: number; login: string; name?: string; email?: string };
    req.session.user = {
      provider: 'github',
      claims: { sub: String(profile.id), login: profile.login, name: profile.name, email: profile.email },
      token: maskToken(token.access_token),
    };
  }

  @Get('logout')
  @Redirect('/')
  async logout(@Req() req: SampleRequest): Promise<void> {
    await new Promise<void>((resolve) => req.session.destroy(() => resolve()));
  }

  private signIn(req: SampleRequest): void {
    const oauth = req.oauth!;
    req.session.user = {
      provider: oauth.client,
      claims: { ...(oauth.userinfo ?? {}) },
      token: maskToken((oauth.token as OAuth2Token).access_token),
    };
  }
}
