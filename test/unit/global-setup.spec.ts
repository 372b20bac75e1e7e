/**
 * The suite's global setup (test/support/global-setup.ts) with the Debian peers
 * made to look absent: as root with apt-get it installs them; otherwise, or when the
 * install does not bring them, it fails naming exactly what to install. No real
 * apt-get runs here: child_process and fs are replaced for this file only.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

const state = vi.hoisted(() => ({
  absent: new Set<string>(),
  installs: [] as string[][],
  /** What an `apt-get install` makes present. */
  installable: new Set<string>(),
  aptStatus: 0,
}));

vi.mock('node:fs', async (original) => {
  const fs = await original<typeof import('node:fs')>();
  return {
    ...fs,
    accessSync: (path: string) => {
      if (state.absent.has(path)) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
    },
  };
});

vi.mock('node:child_process', async (original) => {
  const cp = await original<typeof import('node:child_process')>();
  return {
    ...cp,
    spawnSync: (file: string, args: string[]) => {
      if (file === '/usr/bin/apt-get') {
        state.installs.push(args);
        if (args[0] === 'install' && state.aptStatus === 0) {
          for (const path of state.installable) state.absent.delete(path);
        }
        return { status: state.aptStatus };
      }
      if (file === '/usr/bin/python3') return { status: state.absent.has('python:authlib') ? 1 : 0 };
      throw new Error(`unexpected spawn ${file}`);
    },
  };
});

const { default: setup } = await import('../support/global-setup.js');

describe('the global setup', () => {
  beforeEach(() => {
    state.absent.clear();
    state.installs.length = 0;
    state.installable.clear();
    state.aptStatus = 0;
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('does nothing when every peer is there', () => {
    setup();
    expect(state.installs).toEqual([]);
  });

  it('not root: fails naming exactly the missing packages, and installs nothing', () => {
    vi.spyOn(process, 'getuid').mockReturnValue(1000);
    state.absent.add('/usr/bin/chromium').add('/usr/bin/redis-server');
    expect(() => setup()).toThrow(
      'The test suite needs Debian packages that are missing: /usr/bin/redis-server (login state and fleet refresh tests); /usr/bin/chromium (the sample in a real browser).\n' +
        'Install them as root: apt-get update && apt-get install -y --no-install-recommends redis-server chromium',
    );
    expect(state.installs).toEqual([]);
  });

  it('root with apt-get: installs the missing packages and goes on', () => {
    vi.spyOn(process, 'getuid').mockReturnValue(0);
    vi.spyOn(console, 'info').mockImplementation(() => {});
    state.absent.add('python:authlib').add('/usr/bin/chromium');
    state.installable.add('python:authlib').add('/usr/bin/chromium');
    setup();
    expect(state.installs).toEqual([
      ['update', '-qq'],
      ['install', '-y', '-qq', '--no-install-recommends', 'python3-authlib', 'python3-flask', 'chromium'],
    ]);
  });

  it('root, but the install fails: says so and what to install', () => {
    vi.spyOn(process, 'getuid').mockReturnValue(0);
    vi.spyOn(console, 'info').mockImplementation(() => {});
    state.absent.add('/usr/bin/chromium');
    state.aptStatus = 100;
    expect(() => setup()).toThrow(
      'The test suite needs Debian packages that are missing: /usr/bin/chromium (the sample in a real browser). apt-get update exited with 100.\n' +
        'Install them as root: apt-get update && apt-get install -y --no-install-recommends chromium',
    );
  });
});
