import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const LIB = resolve(dirname(fileURLToPath(import.meta.url)), '../../lib');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** Every import of a file: relative ones resolved to lib paths, packages by name. */
function importsOf(file: string): { local: string[]; packages: string[] } {
  const text = readFileSync(file, 'utf8');
  const local: string[] = [];
  const packages: string[] = [];
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+'([^']+)'/g)) {
    const spec = m[1]!;
    if (spec.startsWith('.')) local.push(relative(LIB, resolve(dirname(file), spec.replace(/\.js$/, '.ts'))));
    else packages.push(spec);
  }
  for (const m of text.matchAll(/import\('([^']+)'\)/g)) {
    const spec = m[1]!;
    if (spec.startsWith('.')) local.push(relative(LIB, resolve(dirname(file), spec.replace(/\.js$/, '.ts'))));
  }
  return { local, packages };
}

const graph = new Map(files(LIB).map((f) => [relative(LIB, f), importsOf(f)]));

/**
 * The layers, top down. A file may import its own layer and the layers below it,
 * never one above: protocol clients know nothing of HTTP requests, the login layer
 * nothing of the guard.
 */
const LAYERS: Array<[string, RegExp]> = [
  ['facade', /^(index|oauth\.module|oauth-core\.module|testing\/.*)\.ts$/],
  ['guard', /^guard\//],
  ['registry', /^(oauth\.registry|oauth\.decorators|registry\/.*|events\/.*)\.ts$/],
  ['login', /^login\//],
  ['clients', /^clients\//],
  ['config', /^(config\/.*|oauth\.module-definition)\.ts$/],
  // Presets are data and hooks: config applies them, they know nothing of clients.
  ['presets', /^presets\//],
  ['options', /^interfaces\/oauth-module-options\.interface\.ts$/],
  ['refresh', /^refresh\//],
  ['state', /^state\//],
  ['http', /^http\//],
  ['base', /^(errors\/.*|interfaces\/.*|oauth\.constants)\.ts$/],
];

function layerOf(path: string): number {
  const i = LAYERS.findIndex(([, re]) => re.test(path));
  if (i < 0) throw new Error(`${path} is in no layer`);
  return i;
}

describe('lib/ layering', () => {
  it('every file belongs to a layer', () => {
    for (const path of graph.keys()) expect(() => layerOf(path)).not.toThrow();
  });

  it('no file imports a layer above its own', () => {
    const upward: string[] = [];
    for (const [path, { local }] of graph) {
      for (const target of local) {
        if (layerOf(target) < layerOf(path)) upward.push(`${path} -> ${target}`);
      }
    }
    expect(upward).toEqual([]);
  });

  it('nothing below the login layer imports Express, Fastify or the platform helpers', () => {
    const login = LAYERS.findIndex(([name]) => name === 'login');
    const offenders: string[] = [];
    for (const [path, { local, packages }] of graph) {
      if (layerOf(path) <= login) continue;
      for (const p of packages) if (/^(express|fastify|@nestjs\/platform-|@fastify\/)/.test(p)) offenders.push(`${path} -> ${p}`);
      for (const t of local) if (t.startsWith('login/')) offenders.push(`${path} -> ${t}`);
    }
    expect(offenders).toEqual([]);
  });

  it('has no import cycle', () => {
    const state = new Map<string, 'open' | 'done'>();
    const cycles: string[] = [];
    const visit = (node: string, trail: string[]): void => {
      if (state.get(node) === 'done') return;
      if (state.get(node) === 'open') {
        cycles.push([...trail.slice(trail.indexOf(node)), node].join(' -> '));
        return;
      }
      state.set(node, 'open');
      for (const next of graph.get(node)?.local ?? []) visit(next, [...trail, node]);
      state.set(node, 'done');
    };
    for (const node of graph.keys()) visit(node, []);
    expect(cycles).toEqual([]);
  });
});
