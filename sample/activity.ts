import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { Subscription } from 'rxjs';
import { OAuthRegistry } from '../lib/index.js';
import { maskToken } from './mask.js';
import { SampleSessions } from './session.js';

/** What the home page lists: the library's events, and what the sample did about them. */
export type ActivityKind = 'tokenUpdate$' | 'logout$' | 'revokeToken' | 'refreshToken' | 'logoutUrl';

export interface ActivityEntry {
  at: Date;
  kind: ActivityKind;
  /** The client name. */
  client: string;
  text: string;
}

/** Only the latest entries are kept: a page to read, not a log file. */
const KEEP = 30;

/**
 * Listens to the registry's events for the whole app, as an application would:
 * `tokenUpdate$` puts each refreshed token into the sessions that held the old one
 * (Authlib's `update_token`), `logout$` ends the sessions of a provider session
 * that ended at the provider. Each is listed on the home page, tokens masked.
 */
@Injectable()
export class SampleActivity implements OnModuleInit, OnModuleDestroy {
  private readonly entries: ActivityEntry[] = [];
  private readonly subscriptions: Subscription[] = [];

  constructor(
    @Inject(OAuthRegistry) private readonly registry: OAuthRegistry,
    @Inject(SampleSessions) private readonly sessions: SampleSessions,
  ) {}

  onModuleInit(): void {
    this.subscriptions.push(
      this.registry.tokenUpdate$.subscribe((event) => {
        const updated = this.sessions.replaceToken(event);
        const replaced = event.accessToken === undefined ? '' : ` replaces ${maskToken(event.accessToken)}`;
        const rotated = event.token.refresh_token !== undefined && event.token.refresh_token !== event.refreshToken ? '; new refresh token' : '';
        this.record('tokenUpdate$', event.name, `new access token ${maskToken(event.token.access_token)}${replaced}${rotated}; ${updated} session(s) updated`);
      }),
      this.registry.logout$.subscribe((event) => {
        const ended = this.sessions.endProviderSession(event);
        this.record(
          'logout$',
          event.name,
          `back-channel logout from ${event.iss}: sub ${event.sub ?? '(none)'}, sid ${event.sid ?? '(none)'}; ${ended} sample session(s) ended`,
        );
      }),
    );
  }

  onModuleDestroy(): void {
    for (const s of this.subscriptions) s.unsubscribe();
  }

  record(kind: ActivityKind, client: string, text: string): void {
    this.entries.unshift({ at: new Date(), kind, client, text });
    this.entries.length = Math.min(this.entries.length, KEEP);
  }

  /** Newest first. */
  list(): readonly ActivityEntry[] {
    return this.entries;
  }
}
