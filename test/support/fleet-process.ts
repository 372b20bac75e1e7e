/**
 * Starts fleet instances (test/support/fleet-instance.ts) as separate Node
 * processes: each has its own heap, module registry and event loop, so nothing but
 * the network (the provider, Redis) can make two instances agree on anything.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { FleetInstanceConfig } from './fleet-instance.js';

const LOADER = fileURLToPath(new URL('./ts-loader.mjs', import.meta.url));
const INSTANCE = fileURLToPath(new URL('./fleet-instance.ts', import.meta.url));

export interface FleetProcess {
  origin: string;
  pid: number;
  /** Output of the process so far (for a failing test's message). */
  output(): string;
  stop(): Promise<void>;
}

export async function startFleetProcess(config: FleetInstanceConfig, timeoutMs = 60_000): Promise<FleetProcess> {
  const child: ChildProcess = spawn(process.execPath, ['--import', LOADER, INSTANCE], {
    env: { ...process.env, FLEET_INSTANCE: JSON.stringify(config) },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const origin = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`fleet instance did not start within ${timeoutMs} ms: ${out}`));
    }, timeoutMs);
    const onData = () => {
      const line = /\{"ready":"([^"]+)"\}/.exec(out);
      if (line) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        resolve(line[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`fleet instance exited with ${code}: ${out}`));
    });
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.stdin!.end();
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };
  return { origin, pid: child.pid!, output: () => out, stop };
}
