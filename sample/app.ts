import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule, type AppModuleOptions } from './app.module.js';
import { sampleSession } from './session.js';

/**
 * Builds the sample (which starts its embedded provider) without listening: call
 * `app.listen(PORT, '127.0.0.1')` with the PORT it was configured with, since the
 * embedded provider only sends logins back to that port.
 */
export async function createSampleApp(options: AppModuleOptions = {}): Promise<INestApplication> {
  const app = await NestFactory.create(AppModule.forRoot(options), { logger: ['error', 'warn'], abortOnError: false });
  app.use(sampleSession());
  return app;
}
