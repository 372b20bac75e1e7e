/**
 * Vitest global setup: the Debian programs the suite runs as real peers must be
 * there before any test starts. As root with apt-get they are installed; otherwise
 * the run fails naming exactly what to install. Never a skip: a test that cannot
 * meet its peer would pass without testing anything.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';

interface Peer {
  /** What it is for, in the failure message. */
  what: string;
  /** The Debian packages that provide it. */
  packages: string[];
  present(): boolean;
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

const PEERS: Peer[] = [
  {
    // Debian's own interpreter: the python3 first on PATH may be another one, without these modules.
    what: "/usr/bin/python3 importing authlib and flask (Authlib's OAuth 1.0a server)",
    packages: ['python3-authlib', 'python3-flask'],
    present: () => executable('/usr/bin/python3') && spawnSync('/usr/bin/python3', ['-c', 'import authlib, flask'], { stdio: 'ignore' }).status === 0,
  },
  { what: '/usr/bin/redis-server (login state and fleet refresh tests)', packages: ['redis-server'], present: () => executable('/usr/bin/redis-server') },
  { what: '/usr/bin/chromium (the sample in a real browser)', packages: ['chromium'], present: () => executable('/usr/bin/chromium') },
];

function missingPeers(): Peer[] {
  return PEERS.filter((peer) => !peer.present());
}

function canInstall(): boolean {
  return process.getuid?.() === 0 && executable('/usr/bin/apt-get');
}

function aptGet(args: string[]): number | null {
  return spawnSync('/usr/bin/apt-get', args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } }).status;
}

export default function setup(): void {
  let missing = missingPeers();
  if (missing.length === 0) return;
  const packages = missing.flatMap((peer) => peer.packages);
  let attempt = '';
  if (canInstall()) {
    console.info(`npm test: installing ${packages.join(' ')} with apt-get`);
    const update = aptGet(['update', '-qq']);
    const install = update === 0 ? aptGet(['install', '-y', '-qq', '--no-install-recommends', ...packages]) : null;
    missing = missingPeers();
    if (missing.length === 0) return;
    attempt = ` apt-get ${update !== 0 ? `update exited with ${String(update)}` : `install exited with ${String(install)}`}.`;
  }
  const still = missing.flatMap((peer) => peer.packages);
  throw new Error(
    `The test suite needs Debian packages that are missing: ${missing.map((peer) => peer.what).join('; ')}.${attempt}\n` +
      `Install them as root: apt-get update && apt-get install -y --no-install-recommends ${still.join(' ')}`,
  );
}
