import { startSample } from './app.js';

// sample/.env is optional: with nothing configured, the embedded provider alone runs.
try {
  process.loadEnvFile('sample/.env');
} catch {
  // no sample/.env
}

const sample = await startSample({
  port: Number(process.env.PORT ?? 3000),
  providerPort: Number(process.env.SAMPLE_PROVIDER_PORT ?? 3001),
});
console.log(`nestjs-oauth-client sample on ${sample.url}`);
if (sample.provider) console.log(`embedded OpenID provider on ${sample.provider.issuer}`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void sample.close().then(() => process.exit(0));
  });
}
