import { VirtualClock } from './virtual-clock';

describe('the virtual clock', () => {
  test('sleepers wake in clock order, each at its own time, and aborted ones at once', async () => {
    const clock = new VirtualClock(1_000);
    const woke: Array<[string, number]> = [];
    const nap = async (name: string, ms: number, signal?: AbortSignal) => { await clock.sleep(ms, signal); woke.push([name, clock.now()]); };
    const abort = new AbortController();
    const all = Promise.all([nap('late', 300), nap('early', 100), nap('same-early', 100), nap('aborted', 10_000, abort.signal)]);
    await clock.advanceTo(1_050);
    expect([woke, clock.pending]).toEqual([[], 4]);
    abort.abort();
    await clock.run(all);
    expect(woke).toEqual([['aborted', 1_050], ['early', 1_100], ['same-early', 1_100], ['late', 1_300]]);
  });

  test('advanceTo stops at its time with later sleepers still asleep; a chain of sleeps runs as far as it is due', async () => {
    const clock = new VirtualClock(0);
    const steps: number[] = [];
    const loop = (async () => { for (let i = 0; i < 10; i++) { await clock.sleep(1_000); steps.push(clock.now()); } })();
    await clock.advanceTo(3_500);
    expect([steps, clock.now()]).toEqual([[1_000, 2_000, 3_000], 3_500]);
    await clock.run(loop);
    expect(steps).toHaveLength(10);
    expect(clock.now()).toBe(10_000);
  });

  test('run refuses work that waits on something other than the clock, and work past its limit', async () => {
    const clock = new VirtualClock(0);
    await expect(clock.run(new Promise(() => {}))).rejects.toThrow(/something other than the clock/);
    const forever = (async () => { for (;;) await clock.sleep(1_000); })();
    await expect(clock.run(forever, 5_000)).rejects.toThrow(/after 5000 ms/);
  });
});
