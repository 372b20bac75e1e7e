import { Module } from '@nestjs/common';
import { SampleSessions } from './session.js';

/** The sample's sessions, shared by its controller and by OAuthModule's `fetchToken`. */
@Module({ providers: [SampleSessions], exports: [SampleSessions] })
export class SampleSessionModule {}
