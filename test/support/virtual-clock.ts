import type { Clock } from '../../src/core/ports/clock';

interface Sleeper { at: number; order: number; wake(): void }

/**
 * A clock that moves only when everything running on it is waiting on it. `run` and `advanceTo`
 * let every pending callback settle (one real macrotask drains the microtasks), then move time to
 * the earliest sleeper's wake-up and wake it. On in-memory ports (no real I/O, no real timers:
 * the core waits only through its Clock port) the order of events is then fixed by the clock
 * alone, however busy the machine is: a lease cannot lapse because a stall outlasted a scaled
 * second, as it could with `scaledClock`.
 */
export class VirtualClock implements Clock {
  private t: number;
  private sleepers: Sleeper[] = [];
  private order = 0;

  constructor(start = Date.now()) { this.t = start; }

  public readonly now = (): number => this.t;

  public readonly sleep = (ms: number, signal?: AbortSignal): Promise<void> => new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const onAbort = () => { this.sleepers = this.sleepers.filter((s) => s !== sleeper); resolve(); };
    const sleeper: Sleeper = {
      at: this.t + Math.max(0, ms),
      order: this.order++,
      wake: () => { signal?.removeEventListener('abort', onAbort); resolve(); },
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    this.sleepers.push(sleeper);
  });

  /** How many sleeps are pending. */
  public get pending(): number { return this.sleepers.length; }

  /** Moves time on to `until`, waking each sleeper due by then in order; returns with everything settled at `until`. */
  public async advanceTo(until: number): Promise<void> {
    for (;;) {
      await settle();
      const next = this.earliest();
      if (!next || next.at > until) break;
      this.wake(next);
    }
    this.t = Math.max(this.t, until);
    await settle();
  }

  /**
   * Runs `work` to its end, moving time on whenever everything waits on the clock. Throws when the
   * work waits on something else (nothing sleeps and it has not ended), or past `limitMs` of clock time.
   */
  public async run<T>(work: Promise<T>, limitMs = 3_600_000): Promise<T> {
    let ended = false;
    work.then(() => { ended = true; }, () => { ended = true; });
    const limit = this.t + limitMs;
    for (;;) {
      await settle();
      if (ended) return work;
      const next = this.earliest();
      if (!next) throw new Error('VirtualClock.run: the work waits on something other than the clock');
      if (next.at > limit) throw new Error(`VirtualClock.run: still running after ${limitMs} ms of clock time`);
      this.wake(next);
    }
  }

  private earliest(): Sleeper | undefined {
    return this.sleepers.reduce<Sleeper | undefined>((a, s) => (!a || s.at < a.at || (s.at === a.at && s.order < a.order) ? s : a), undefined);
  }

  private wake(s: Sleeper): void {
    this.sleepers = this.sleepers.filter((x) => x !== s);
    this.t = Math.max(this.t, s.at);
    s.wake();
  }
}

/** One real macrotask: every microtask queued before it (and those they queue) has run. */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
