import type { Clock } from '../ports/clock';

function sleepReal(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, Math.max(0, ms));
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** The wall clock. */
export const realClock: Clock = { now: () => Date.now(), sleep: sleepReal };

/**
 * A clock that runs `factor` times faster than the wall clock, starting at the real now:
 * `sleep(1000)` takes 1000/factor real ms and `now()` moves on by 1000.
 */
export function scaledClock(factor: number): Clock {
  const start = Date.now();
  return {
    now: () => start + (Date.now() - start) * factor,
    sleep: (ms, signal) => sleepReal(ms / factor, signal),
  };
}
