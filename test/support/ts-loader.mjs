// Node ESM loader hooks that run this repository's TypeScript in a child process,
// compiled by swc as vitest compiles it (legacy decorators with emitted metadata, for
// Nest's dependency injection). Used by test/support/fleet-process.ts to start app
// instances as separate processes: `node --import ./test/support/ts-loader.mjs file.ts`.
import { existsSync, readFileSync } from 'node:fs';
import { register } from 'node:module';
import { fileURLToPath } from 'node:url';
import { isMainThread } from 'node:worker_threads';
import swc from '@swc/core';

// Imported by --import on the main thread, this module registers itself; loaded
// again on the hooks thread, it only provides the hooks.
if (isMainThread) register(import.meta.url, import.meta.url);

/** `./x.js` imported from a .ts file means `./x.ts` (NodeNext spelling). */
export async function resolve(specifier, context, next) {
  if (context.parentURL?.endsWith('.ts') && specifier.startsWith('.') && specifier.endsWith('.js')) {
    const url = new URL(specifier, context.parentURL);
    const ts = new URL(url.href.replace(/\.js$/, '.ts'));
    if (!existsSync(fileURLToPath(url)) && existsSync(fileURLToPath(ts))) return next(ts.href, context);
  }
  return next(specifier, context);
}

export async function load(url, context, next) {
  if (!url.endsWith('.ts')) return next(url, context);
  const filename = fileURLToPath(url);
  const { code } = swc.transformSync(readFileSync(filename, 'utf8'), {
    filename,
    sourceMaps: 'inline',
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
      keepClassNames: true,
    },
    module: { type: 'es6' },
  });
  return { format: 'module', source: code, shortCircuit: true };
}
