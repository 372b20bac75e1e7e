import { describe, expect, it } from 'vitest';
import { KeyedSingleFlight } from '../../../lib/http/keyed-single-flight.js';

/** A promise settled from outside, so a test decides when the shared work ends. */
function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('KeyedSingleFlight', () => {
  it('runs the work once for concurrent callers of one key, and they share its value', async () => {
    const flight = new KeyedSingleFlight<string, object>();
    const work = deferred<object>();
    let runs = 0;
    const callers = Array.from({ length: 10 }, () =>
      flight.run('k', () => {
        runs++;
        return work.promise;
      }),
    );
    expect(runs).toBe(1);
    expect(flight.size).toBe(1);
    const value = { v: 1 };
    work.resolve(value);
    for (const result of await Promise.all(callers)) expect(result).toBe(value);
  });

  it('keeps different keys apart', async () => {
    const flight = new KeyedSingleFlight<string, string>();
    const a = deferred<string>();
    const b = deferred<string>();
    const pa = flight.run('a', () => a.promise);
    const pb = flight.run('b', () => b.promise);
    expect(flight.size).toBe(2);
    b.resolve('B');
    a.resolve('A');
    expect(await Promise.all([pa, pb])).toEqual(['A', 'B']);
  });

  it('frees the key once the work settles: a later call runs it again', async () => {
    const flight = new KeyedSingleFlight<string, number>();
    let runs = 0;
    expect(await flight.run('k', async () => ++runs)).toBe(1);
    expect(flight.size).toBe(0);
    expect(await flight.run('k', async () => ++runs)).toBe(2);
  });

  it('hands a failure to every concurrent caller and does not remember it', async () => {
    const flight = new KeyedSingleFlight<string, string>();
    const work = deferred<string>();
    let runs = 0;
    const callers = [1, 2, 3].map(() =>
      flight.run('k', () => {
        runs++;
        return work.promise;
      }),
    );
    const failure = new Error('provider down');
    work.reject(failure);
    for (const c of callers) await expect(c).rejects.toBe(failure);
    expect(runs).toBe(1);
    expect(flight.size).toBe(0);
    await expect(flight.run('k', async () => 'recovered')).resolves.toBe('recovered');
  });

});
