/**
 * What the benchmark runner and the profiler share: child processes on free
 * loopback ports, a light HTTP client with per-browser cookies, CPU readings of the
 * children, medians.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Agent, request } from 'node:http';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const here = dirname(fileURLToPath(import.meta.url));
export const log = (line: string): void => void process.stderr.write(`${line}\n`);

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export interface Child {
  name: string;
  proc: ChildProcess;
  url: string;
}

/**
 * Starts `dist-bench/bench/<script>` as its own process (own heap, own event loop)
 * on a free port and waits for its `READY` line. `nodeArgs` go before the script
 * (e.g. `--cpu-prof`).
 */
export async function spawnChild(name: string, script: string, args: string[], nodeArgs: string[] = []): Promise<Child> {
  const port = await freePort();
  const proc = spawn(process.execPath, ['--expose-gc', ...nodeArgs, join(here, script), String(port), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stderr!.on('data', (d: Buffer) => {
    const text = String(d);
    // Node's experimental-feature warnings are noise; anything else is shown.
    if (!/ExperimentalWarning|--trace-warnings/.test(text)) process.stderr.write(`[${name}] ${text}`);
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start within 30 s`)), 30_000);
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => {
      out += String(d);
      if (out.includes('READY')) {
        clearTimeout(timer);
        resolve();
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code} before it was ready`));
    });
  });
  return { name, proc, url: `http://127.0.0.1:${port}` };
}

/** Stops a child and waits until it is gone (SIGINT lets --cpu-prof write its file). */
export async function stopChild(child: Child, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.proc.exitCode !== null || child.proc.signalCode !== null) return;
  const gone = new Promise<void>((resolve) => child.proc.once('exit', () => resolve()));
  child.proc.kill(signal);
  const timer = setTimeout(() => child.proc.kill('SIGKILL'), 10_000);
  await gone;
  clearTimeout(timer);
}

// One keep-alive pool for every scripted browser: cheaper than fetch (undici) per
// request, so the load generator takes less of the machine from the contenders.
const agent = new Agent({ keepAlive: true, maxSockets: 256 });

export interface Answer {
  status: number;
  location: string | undefined;
  setCookie: string[];
  body: string;
}

export function httpGet(url: string, cookie = ''): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, headers: cookie ? { cookie } : {} }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          location: res.headers.location,
          setCookie: res.headers['set-cookie'] ?? [],
          body,
        }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

export async function getJson<T>(url: string): Promise<T> {
  const a = await httpGet(url);
  return JSON.parse(a.body) as T;
}

/** A browser: cookies per host, redirects followed by the script. */
export class Browser {
  private readonly jar = new Map<string, Map<string, string>>();

  async get(url: string): Promise<Answer> {
    const host = new URL(url).host;
    let cookies = this.jar.get(host);
    if (!cookies) this.jar.set(host, (cookies = new Map()));
    const answer = await httpGet(url, [...cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    for (const line of answer.setCookie) {
      const semi = line.indexOf(';');
      const pair = semi < 0 ? line : line.slice(0, semi);
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      if (/max-age=0/i.test(line)) cookies.delete(name);
      else cookies.set(name, pair.slice(eq + 1));
    }
    return answer;
  }
}

/**
 * One whole login in a fresh browser: login route → provider → callback. True when
 * the callback answered 200 with the user the provider issued the ID token for.
 */
export async function fullLogin(origin: string): Promise<boolean> {
  const browser = new Browser();
  const login = await browser.get(`${origin}/login`);
  if (login.status !== 302 || !login.location) return false;
  const back = await browser.get(login.location);
  if (back.status !== 302 || !back.location) return false;
  const done = await browser.get(back.location);
  return done.status === 200 && done.body === '{"sub":"bench-user"}';
}

/** CPU time (user + system, all threads) a child has used so far, in µs. */
export async function cpuOf(child: Child): Promise<number> {
  return (await getJson<{ cpu: number }>(`${child.url}/__cpu`)).cpu;
}

export const median = (xs: number[]): number => {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
