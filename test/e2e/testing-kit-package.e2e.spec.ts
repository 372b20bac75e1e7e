/**
 * The testing kit as a user installs it: `npm pack`, unpacked into a scratch app
 * whose own test (an ESM script and a CommonJS one) builds a Nest app with a guarded
 * login route, imports `MockOAuthProvider` from `nestjs-oauth-client/testing`, and
 * logs in through its real route with a chosen identity and no network.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');

/** The scratch app's test, the same for both module systems but for how it loads. */
function appTest(load: string, sub: string): string {
  return `${load}
async function main() {
  const provider = await MockOAuthProvider.start();
  provider.nextLogin({ sub: '${sub}', name: 'Scratch User', email: 'scratch@example.com', email_verified: true });

  // The app's own controller, decorated by hand (plain JavaScript has no decorators).
  class AuthController {
    login(req) {
      return { user: req.oauth.userinfo, client: req.oauth.client };
    }
  }
  const proto = AuthController.prototype;
  const descriptor = Object.getOwnPropertyDescriptor(proto, 'login');
  common.Req()(proto, 'login', 0);
  Reflect.defineMetadata('design:paramtypes', [Object], proto, 'login');
  common.UseGuards(lib.OAuthGuard('idp'))(proto, 'login', descriptor);
  common.Get('auth/login')(proto, 'login', descriptor);
  common.Controller()(AuthController);
  class AppModule {}
  common.Module({
    imports: [config.ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true }), lib.OAuthModule.forRoot({ clients: { idp: provider.clientConfig() } })],
    controllers: [AuthController],
  })(AppModule);

  const app = await core.NestFactory.create(AppModule, { logger: false });
  await app.listen(0, '127.0.0.1');
  const origin = 'http://127.0.0.1:' + app.getHttpServer().address().port;
  const cookies = new Map();
  let url = origin + '/auth/login';
  let res;
  for (let hop = 0; hop < 5; hop++) {
    const headers = {};
    if (url.startsWith(origin) && cookies.size) headers.cookie = [...cookies].map(([k, v]) => k + '=' + v).join('; ');
    res = await fetch(url, { redirect: 'manual', headers });
    if (url.startsWith(origin)) {
      for (const line of res.headers.getSetCookie()) {
        const [pair] = line.split(';');
        const eq = pair.indexOf('=');
        cookies.set(pair.slice(0, eq), pair.slice(eq + 1));
      }
    }
    if (res.status !== 302) break;
    url = new URL(res.headers.get('location'), url).toString();
  }
  const body = await res.json();
  await app.close();
  await provider.stop();
  console.log(JSON.stringify({ status: res.status, sub: body.user.sub, email: body.user.email, client: body.client, requests: provider.requests.length }));
}
main().catch((err) => {
  console.error(err);
  process.exit(1);
});
`;
}

describe('the testing kit as a package', () => {
  it('exports ./testing, and a scratch app logs in through MockOAuthProvider with import and with require()', { timeout: 240_000 }, () => {
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { exports: Record<string, { types: string; default: string }> };
    expect(manifest.exports['./testing']).toEqual({ types: './dist/testing/index.d.ts', default: './dist/testing/index.js' });

    const scratch = join(root, 'test/.tmp/kit-consumer');
    rmSync(scratch, { recursive: true, force: true });
    mkdirSync(join(scratch, 'node_modules/nestjs-oauth-client'), { recursive: true });
    const out = execFileSync('npm', ['pack', '--json', '--pack-destination', scratch], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const packed = JSON.parse(out.slice(out.indexOf('['))) as Array<{ filename: string; files: Array<{ path: string }> }>;
    const files = packed[0]!.files.map((f) => f.path);
    expect(files).toContain('dist/testing/index.js');
    expect(files).toContain('dist/testing/index.d.ts');
    execFileSync('tar', ['-xzf', join(scratch, packed[0]!.filename), '-C', join(scratch, 'node_modules/nestjs-oauth-client'), '--strip-components=1']);
    // Peers (@nestjs/*, reflect-metadata) and jose resolve from the repository's node_modules, as from the app's.
    writeFileSync(
      join(scratch, 'login.test.mjs'),
      appTest(
        `import 'reflect-metadata';
import * as common from '@nestjs/common';
import * as core from '@nestjs/core';
import * as config from '@nestjs/config';
import * as lib from 'nestjs-oauth-client';
import { MockOAuthProvider } from 'nestjs-oauth-client/testing';`,
        'esm-user',
      ),
    );
    writeFileSync(
      join(scratch, 'login.test.cjs'),
      appTest(
        `require('reflect-metadata');
const common = require('@nestjs/common');
const core = require('@nestjs/core');
const config = require('@nestjs/config');
const lib = require('nestjs-oauth-client');
const { MockOAuthProvider } = require('nestjs-oauth-client/testing');`,
        'cjs-user',
      ),
    );
    for (const [file, sub] of [['login.test.mjs', 'esm-user'], ['login.test.cjs', 'cjs-user']] as const) {
      const result = JSON.parse(execFileSync(process.execPath, [file], { cwd: scratch, encoding: 'utf8' }).trim()) as Record<string, unknown>;
      expect(result).toEqual({ status: 200, sub, email: 'scratch@example.com', client: 'idp', requests: 4 });
    }
  });
});
