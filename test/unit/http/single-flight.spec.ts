import { describe, expect, it } from 'vitest';
import { SingleFlight } from '../../../lib/http/single-flight.js';

describe('SingleFlight', () => {
  it('shares one run between concurrent callers, then runs again', async () => {
    const flight = new SingleFlight<number>();
    let runs = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const callers = [1, 2, 3].map(() =>
      flight.run(async () => {
        runs++;
        await gate;
        return runs;
      }),
    );
    release();
    expect(await Promise.all(callers)).toEqual([1, 1, 1]);
    expect(await flight.run(async () => ++runs)).toBe(2);
  });

  it('does not remember a failure', async () => {
    const flight = new SingleFlight<string>();
    await expect(flight.run(async () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    await expect(flight.run(async () => 'up')).resolves.toBe('up');
  });
});
