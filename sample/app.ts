import { readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import type { INestApplication, NestApplicationOptions } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { AppModule, type AppModuleOptions } from './app.module.js';

export type SamplePlatform = 'express' | 'fastify';

/**
 * SAMPLE_PLATFORM (`express`, the default, or `fastify`): from `env` when given,
 * else the environment, else sample/.env. Read here because the platform is chosen
 * before the app, and so its ConfigService, exists.
 */
export function samplePlatform(env?: Record<string, string>): SamplePlatform {
  let value = env ? env.SAMPLE_PLATFORM : process.env.SAMPLE_PLATFORM;
  if (value === undefined && !env) {
    try {
      value = parseEnv(readFileSync('sample/.env', 'utf8')).SAMPLE_PLATFORM;
    } catch {
      // No sample/.env: the defaults.
    }
  }
  if (value === undefined || value === '' || value === 'express') return 'express';
  if (value === 'fastify') return 'fastify';
  throw new Error(`SAMPLE_PLATFORM must be express or fastify, not ${JSON.stringify(value.slice(0, 40))}.`);
}

/**
 * Builds the sample (which starts its embedded provider) without listening: call
 * `app.listen(PORT, '127.0.0.1')` with the PORT it was configured with, since the
 * embedded provider only sends logins back to that port.
 */
export async function createSampleApp(options: AppModuleOptions = {}): Promise<INestApplication> {
  const module = AppModule.forRoot(options);
  const settings: NestApplicationOptions = { logger: ['error', 'warn'], abortOnError: false };
  // Neither platform needs a middleware: the library keeps login state in its own
  // cookie, the sample its sessions in memory behind a cookie it reads itself.
  if (samplePlatform(options.env) === 'fastify') {
    return NestFactory.create(module, new FastifyAdapter(), settings);
  }
  return NestFactory.create(module, settings);
}
