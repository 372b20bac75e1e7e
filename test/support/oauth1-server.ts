import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const PYTHON = '/usr/bin/python3';
export const OAUTH1_INSTALL_HINT =
  "Authlib's OAuth 1.0a server needs Debian's python3-authlib and python3-flask for /usr/bin/python3: apt-get install -y python3-authlib python3-flask (CI does this in .ci/run).";

export interface OAuth1Server {
  origin: string;
  /** Client credentials registered with the server. */
  clients: {
    hmac: { clientId: string; clientSecret: string };
    rsa: { clientId: string; rsaKey: string };
    plaintext: { clientId: string; clientSecret: string };
  };
  /** Requests the server received, oldest first. */
  log(): Promise<Array<{ method: string; path: string }>>;
  close(): Promise<void>;
}

/** Starts Authlib's OAuth 1.0a provider (test/support/oauth1-server.py) on a free loopback port. */
export async function startOAuth1Server(): Promise<OAuth1Server> {
  const probe = spawnSync(PYTHON, ['-c', 'import authlib, flask'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) throw new Error(OAUTH1_INSTALL_HINT);

  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const clients = {
    hmac: { clientId: 'hmac-client', clientSecret: 'hmac secret/with+specials' },
    rsa: { clientId: 'rsa-client', rsaKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() },
    plaintext: { clientId: 'plaintext-client', clientSecret: 'plain&secret' },
  };
  const dir = mkdtempSync(join(tmpdir(), 'oauth1-'));
  const config = join(dir, 'clients.json');
  writeFileSync(
    config,
    JSON.stringify({
      [clients.hmac.clientId]: { secret: clients.hmac.clientSecret },
      [clients.rsa.clientId]: { secret: '', rsa_public_key: publicKey.export({ type: 'spki', format: 'pem' }).toString() },
      [clients.plaintext.clientId]: { secret: clients.plaintext.clientSecret },
    }),
  );
  const script = join(import.meta.dirname, 'oauth1-server.py');
  const child: ChildProcess = spawn(PYTHON, [script, config], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the OAuth 1.0a server did not start: ${stderr}`)), 15_000);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /READY (\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the OAuth 1.0a server exited with ${code}: ${stderr}`));
    });
  });
  const origin = `http://127.0.0.1:${port}`;
  return {
    origin,
    clients,
    log: async () => (await fetch(`${origin}/log`)).json() as Promise<Array<{ method: string; path: string }>>,
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
