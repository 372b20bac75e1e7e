import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  exports: Record<string, { types: string; default: string }>;
  type: string;
};

function listTs(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listTs(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

describe('the published package', () => {
  it('declares every package that lib/ imports, and nothing optional is loaded eagerly', () => {
    const declared = new Set([...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.peerDependencies ?? {})]);
    const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
    const used = new Set<string>();
    for (const file of listTs(join(root, 'lib'))) {
      const src = readFileSync(file, 'utf8');
      for (const m of src.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]/gm)) {
        const spec = m[1]!;
        if (spec.startsWith('.') || builtins.has(spec)) continue;
        used.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
      }
    }
    for (const pkg of used) expect(declared, `lib/ imports ${pkg}`).toContain(pkg);
    // Optional peers are never imported: loading the package must not need them.
    const optional = Object.entries(manifest.peerDependenciesMeta ?? {}).filter(([, m]) => m.optional).map(([name]) => name);
    expect(optional.sort()).toEqual(['@fastify/secure-session', '@fastify/session', '@nestjs/cache-manager', 'cache-manager', 'express-session', 'redis']);
    for (const pkg of optional) expect(used, `lib/ imports the optional peer ${pkg}`).not.toContain(pkg);
    expect(manifest.type).toBe('module');
    // Each with its reason in the README: JOSE, OAuth 1.0a signing, the HTTP transport.
    expect(Object.keys(manifest.dependencies ?? {}).sort()).toEqual(['jose', 'oauth-1.0a', 'undici']);
  });

  it('packs, and loads with import and with require() from scratch consumers', { timeout: 120_000 }, () => {
    const scratch = join(root, 'test/.tmp/consumer');
    rmSync(scratch, { recursive: true, force: true });
    mkdirSync(join(scratch, 'node_modules/nestjs-oauth-client'), { recursive: true });
    const out = execFileSync('npm', ['pack', '--json', '--pack-destination', scratch], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const packed = JSON.parse(out.slice(out.indexOf('['))) as Array<{ filename: string; files: Array<{ path: string }> }>;
    const files = packed[0]!.files.map((f) => f.path);
    expect(files).toContain('dist/index.js');
    expect(files).toContain('dist/index.d.ts');
    expect(files.some((f) => f.startsWith('lib/') || f.startsWith('test/'))).toBe(false);
    execFileSync('tar', ['-xzf', join(scratch, packed[0]!.filename), '-C', join(scratch, 'node_modules/nestjs-oauth-client'), '--strip-components=1']);
    // Peers resolve from the repository's node_modules, as they would from the app's.
    const check = `
      const names = ['OAuthModule', 'OAuthRegistry', 'OAuthGuard', 'OAuthToken', 'OAuthUser', 'InjectOAuthClient',
        'OAuthError', 'OAuthConfigError', 'OAuthException', 'OAuthStateStore'];
      const missing = names.filter((n) => typeof lib[n] !== 'function');
      if (missing.length) throw new Error('missing exports: ' + missing.join(','));
      console.log('ok ' + typeof lib.OAuthModule.forRoot);
    `;
    writeFileSync(join(scratch, 'esm.mjs'), `import 'reflect-metadata';\nimport * as lib from 'nestjs-oauth-client';\n${check}`);
    writeFileSync(join(scratch, 'cjs.cjs'), `require('reflect-metadata');\nconst lib = require('nestjs-oauth-client');\n${check}`);
    expect(execFileSync(process.execPath, ['esm.mjs'], { cwd: scratch, encoding: 'utf8' }).trim()).toBe('ok function');
    expect(execFileSync(process.execPath, ['cjs.cjs'], { cwd: scratch, encoding: 'utf8' }).trim()).toBe('ok function');
  });
});
