import { spawn, spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Debian's interpreter: the `python3` first on PATH is another one, without the packages. */
const PYTHON = '/usr/bin/python3';
export const OAUTH1_INSTALL_COMMAND = 'apt-get install -y python3-authlib python3-flask';
export const OAUTH1_INSTALL_HINT =
  `Authlib's OAuth 1.0a test server needs Debian's python3-authlib and python3-flask for ${PYTHON}. ` +
  `Install them with: ${OAUTH1_INSTALL_COMMAND} (CI does this in .ci/run).`;

export interface OAuth1ServerLogEntry {
  method: string;
  path: string;
  time: number;
  /** Where the server found OAuth protocol parameters: `header`, `query`, `body`. */
  placement: string[];
}

export interface OAuth1Server {
  /** `http://127.0.0.1:<port>`; endpoints `/initiate`, `/authorize`, `/token`, `/api/me`. */
  origin: string;
  /** Client credentials registered with the server. */
  clients: {
    hmac: { clientId: string; clientSecret: string };
    rsa: { clientId: string; rsaKey: string };
    plaintext: { clientId: string; clientSecret: string };
  };
  /** The RSA client's private key (PKCS#8 PEM); the server holds its public key. */
  rsaPrivateKeyPem: string;
  /** Requests the server received, oldest first. */
  log(): Promise<OAuth1ServerLogEntry[]>;
  close(): Promise<void>;
}

export interface StartOAuth1ServerOptions {
  /** The Python interpreter; default Debian's /usr/bin/python3. */
  python?: string;
}

/**
 * Starts Authlib's OAuth 1.0a provider (test/support/oauth1-server.py) on a free
 * loopback port. Throws, naming the packages to install, when /usr/bin/python3 lacks
 * Authlib or Flask: the suite fails rather than skipping.
 */
export async function startOAuth1Server(options: StartOAuth1ServerOptions = {}): Promise<OAuth1Server> {
  const python = options.python ?? PYTHON;
  const probe = spawnSync(python, ['-c', 'import authlib.integrations.flask_oauth1, flask, cryptography'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    const why = probe.error?.message ?? probe.stderr.trim().split('\n').at(-1) ?? '';
    throw new Error(`${OAUTH1_INSTALL_HINT}\n(${python}: ${why})`);
  }

  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const rsaPrivateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const clients = {
    // Secrets with characters that percent-encoding must handle.
    hmac: { clientId: 'hmac-client', clientSecret: 'hmac secret/with+specials&☃' },
    rsa: { clientId: 'rsa-client', rsaKey: rsaPrivateKeyPem },
    plaintext: { clientId: 'plaintext-client', clientSecret: 'plain&secret %' },
  };
  const dir = mkdtempSync(join(tmpdir(), 'oauth1-server-'));
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
  // stdin stays open: the server exits when it closes, so it never outlives this process.
  const child = spawn(python, [script, config, '0'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  let port: number;
  try {
    port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the OAuth 1.0a server did not start within 15 s: ${stderr}`)), 15_000);
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
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
  } catch (error) {
    child.kill('SIGKILL');
    cleanup();
    throw error;
  }
  const origin = `http://127.0.0.1:${port}`;
  return {
    origin,
    clients,
    rsaPrivateKeyPem,
    log: async () => (await fetch(`${origin}/log`)).json() as Promise<OAuth1ServerLogEntry[]>,
    close: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.stdin.end();
        child.kill('SIGTERM');
        await exited;
      }
      cleanup();
    },
  };
}
