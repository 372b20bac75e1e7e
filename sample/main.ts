import type { INestApplication } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { createSampleApp, samplePlatform } from './app.js';
import type { EmbeddedProvider } from './embedded-provider.js';
import { EMBEDDED_PROVIDER } from './embedded-provider.module.js';

// Settings come from sample/.env (see sample/.env.example) and the environment.
let app: INestApplication | undefined;
try {
  app = await createSampleApp();
  app.enableShutdownHooks();
  const port = Number(app.get(ConfigService).get('PORT') ?? 3000);
  await app.listen(port, '127.0.0.1');
  console.log(`nestjs-oauth-client sample on http://localhost:${port} (${samplePlatform()})`);
  const provider = app.get<EmbeddedProvider | null>(EMBEDDED_PROVIDER);
  if (provider) {
    console.log(`embedded OpenID provider on ${provider.issuer} (its "development-only" warnings are expected: it is a local stand-in)`);
  }
} catch (err) {
  // A busy port, a misconfigured client (OAuthConfigError names it and the field)…
  console.error(`The sample could not start: ${err instanceof Error ? err.message : String(err)}`);
  await app?.close();
  process.exit(1);
}
