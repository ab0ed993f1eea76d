import { DeltaFrame, utf8Bytes } from '../../../src/contract/protocol';
import { Coalescer } from '../../../src/core/domain/coalescer';
import { cutUtf8 } from '../../../src/core/domain/text';
import type { Clock } from '../../../src/core/ports/clock';

/** A clock moved by hand: sleeps resolve when `advance` passes their time. */
class ManualClock implements Clock {
  public t = 0;
  private sleepers: Array<{ at: number; resolve: () => void }> = [];
  now() { return this.t; }
  sleep(ms: number, signal?: AbortSignal) {
    return new Promise<void>((resolve) => {
      const s = { at: this.t + ms, resolve };
      this.sleepers.push(s);
      signal?.addEventListener('abort', () => resolve(), { once: true });
    });
  }
  async advance(ms: number) {
    this.t += ms;
    for (const s of this.sleepers.filter((x) => x.at <= this.t)) s.resolve();
    this.sleepers = this.sleepers.filter((x) => x.at > this.t);
    await flush();
  }
}
const flush = () => new Promise((r) => setImmediate(r));

function recorder() {
  const frames: DeltaFrame[] = [];
  return { frames, post: async (f: DeltaFrame) => { frames.push(f); return 'ok' as const; } };
}

/** Posts that each take `durationMs(i)` on the clock; records each frame with the time it left. */
function timedPoster(clock: ManualClock, durationMs: (i: number) => number) {
  const sent: Array<{ at: number; frame: DeltaFrame }> = [];
  const post = async (frame: DeltaFrame) => {
    sent.push({ at: clock.t, frame });
    const ms = durationMs(sent.length - 1);
    if (ms > 0) await clock.sleep(ms);
    return 'ok' as const;
  };
  return { sent, post };
}

/** Moves the clock `ms`: the next post leaves at the last of those milliseconds, not before. */
async function nextPostAfter(clock: ManualClock, sent: unknown[], ms: number) {
  const before = sent.length;
  await tick(clock, ms - 1);
  expect(sent).toHaveLength(before);
  await tick(clock, 1);
  expect(sent).toHaveLength(before + 1);
}

/** close(), with the clock moving meanwhile so the posts it waits for can return. */
async function closeWhileTicking(clock: ManualClock, c: Coalescer) {
  let closed = false;
  const closing = c.close().then(() => { closed = true; });
  for (await flush(); !closed; await flush()) await clock.advance(1);
  await closing;
}

/** Moves the clock one millisecond at a time, so nothing scheduled in between is jumped over. */
async function tick(clock: ManualClock, ms: number) {
  for (let i = 0; i < ms; i++) await clock.advance(1);
}

describe('delta coalescer', () => {
  test('the first delta is posted at once; later ones wait for the 50 ms window and are merged', async () => {
    const clock = new ManualClock();
    const r = recorder();
    const c = new Coalescer('reply-1', r.post, clock);
    c.push('안');
    await flush();
    expect(r.frames.map((f) => f.text)).toEqual(['안']);
    c.push('녕');
    c.push('하');
    await clock.advance(49);
    expect(r.frames).toHaveLength(1);
    await clock.advance(1);
    expect(r.frames.map((f) => f.text)).toEqual(['안', '녕하']);
    c.push('세요');
    await c.close();
    expect(r.frames.map((f) => [f.seq, f.text])).toEqual([[0, '안'], [1, '녕하'], [2, '세요']]);
  });

  test('4 KB waiting are posted without waiting for the window', async () => {
    const clock = new ManualClock();
    const r = recorder();
    const c = new Coalescer('reply-2', r.post, clock);
    c.push('x');
    await flush();
    c.push('가'.repeat(1365)); // 4095 bytes: still waits
    await flush();
    expect(r.frames).toHaveLength(1);
    c.push('a'); // 4096 bytes
    await flush();
    await flush();
    expect(r.frames).toHaveLength(2);
    expect(utf8Bytes(r.frames[1].text)).toBe(4096);
    await c.close();
  });

  test('posts go one at a time in order; text arriving during a slow post joins the next frame', async () => {
    const clock = new ManualClock();
    const frames: DeltaFrame[] = [];
    let release: () => void = () => {};
    let inFlight = 0;
    let maxInFlight = 0;
    const c = new Coalescer('reply-3', async (f) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise<void>((r) => { release = r; });
      frames.push(f);
      inFlight--;
      return 'ok';
    }, clock);
    c.push('a');
    for (const ch of 'bcdef') c.push(ch); // push never waits for the post
    await clock.advance(100);
    release();
    await flush();
    await clock.advance(100);
    release();
    await flush();
    const closing = c.close();
    await flush();
    release();
    await closing;
    expect(frames.map((f) => [f.seq, f.text])).toEqual([[0, 'a'], [1, 'bcdef']]);
    expect(maxInFlight).toBe(1);
  });

  test('after a gone answer nothing more is posted', async () => {
    const clock = new ManualClock();
    let posts = 0;
    const c = new Coalescer('reply-4', async () => (++posts >= 2 ? 'gone' : 'ok'), clock);
    c.push('a');
    await flush();
    c.push('b');
    await clock.advance(50);
    c.push('c');
    await c.close();
    expect(posts).toBe(2);
    expect(c.gone).toBe(true);
  });

  test('text pushed in whichever microtask the last post settles in is still posted, in order, before close returns', async () => {
    // The loop's promise settles a few microtasks after it saw an empty buffer; a push landing
    // there used to stay in the buffer, and close() returned without posting it.
    const lostAt: number[] = [];
    for (let ticks = 0; ticks < 12; ticks++) {
      const r = recorder();
      const c = new Coalescer('reply-5', r.post, new ManualClock(), { intervalMs: 0 });
      c.push('가');
      for (let i = 0; i < ticks; i++) await Promise.resolve();
      c.push('나');
      await c.close();
      if (r.frames.map((f) => f.text).join('') !== '가나') lostAt.push(ticks);
      expect(r.frames.map((f) => f.seq)).toEqual(r.frames.map((_, i) => i));
    }
    expect(lostAt).toEqual([]);
  });

  test('after a post that took 200 ms the next one waits until 400 ms after its start', async () => {
    const clock = new ManualClock();
    const p = timedPoster(clock, (i) => (i === 0 ? 200 : 0));
    const c = new Coalescer('reply-6', p.post, clock);
    c.push('a');
    await flush();
    c.push('b');
    await tick(clock, 200); // the first post returns; 50 ms have long passed
    c.push('c');
    await nextPostAfter(clock, p.sent, 200);
    expect(p.sent.map((s) => [s.at, s.frame.text])).toEqual([[0, 'a'], [400, 'bc']]);
    // That post was fast again: the next one keeps the 50 ms cadence.
    c.push('d');
    await nextPostAfter(clock, p.sent, 50);
    expect(p.sent.map((s) => [s.at, s.frame.text])).toEqual([[0, 'a'], [400, 'bc'], [450, 'd']]);
    await closeWhileTicking(clock, c);
  });

  test('fast posts keep the 50 ms cadence', async () => {
    const clock = new ManualClock();
    const p = timedPoster(clock, () => 20); // 2 × 20 ms is still inside the 50 ms window
    const c = new Coalescer('reply-7', p.post, clock);
    for (let t = 0; t < 300; t += 10) {
      c.push('x');
      await tick(clock, 10);
    }
    await closeWhileTicking(clock, c);
    // The last one is close() flushing the text pushed after 250 ms.
    expect(p.sent.map((s) => s.at)).toEqual([0, 50, 100, 150, 200, 250, 300]);
  });

  test('a slow post stretches the wait to 500 ms at most; a post slower than that is followed at once', async () => {
    const clock = new ManualClock();
    const p = timedPoster(clock, (i) => [400, 700, 0][i] ?? 0);
    const c = new Coalescer('reply-8', p.post, clock);
    c.push('a');
    await flush();
    c.push('b');
    await nextPostAfter(clock, p.sent, 500); // 2 × 400 ms would be 800 ms
    expect(p.sent.map((s) => s.at)).toEqual([0, 500]);
    c.push('c');
    await nextPostAfter(clock, p.sent, 700); // right when the 700 ms post returns
    expect(p.sent.map((s) => [s.at, s.frame.text])).toEqual([[0, 'a'], [500, 'b'], [1200, 'c']]);
    await closeWhileTicking(clock, c);
  });

  test('while a slow post stretches the wait, 4 KB waiting and close() still post at once', async () => {
    const clock = new ManualClock();
    const p = timedPoster(clock, (i) => (i < 2 ? 200 : 0));
    const c = new Coalescer('reply-9', p.post, clock);
    c.push('x');
    await tick(clock, 200);
    c.push('가'.repeat(1365)); // 4095 bytes: waits for 400 ms
    await tick(clock, 50);
    expect(p.sent).toHaveLength(1);
    c.push('a'); // 4096 bytes
    await flush();
    expect(p.sent.map((s) => s.at)).toEqual([0, 250]);
    expect(utf8Bytes(p.sent[1].frame.text)).toBe(4096);
    await tick(clock, 200); // the second post returns at 450; the next would wait until 650
    c.push('end');
    await closeWhileTicking(clock, c);
    expect(p.sent.map((s) => [s.at, s.frame.seq, s.frame.text.slice(-3)])).toEqual([[0, 0, 'x'], [250, 1, '가가a'], [450, 2, 'end']]);
  });

  test('after a gone answer from a slow endpoint nothing more is posted', async () => {
    const clock = new ManualClock();
    let posts = 0;
    const c = new Coalescer('reply-10', async () => {
      await clock.sleep(300);
      return ++posts >= 2 ? 'gone' : 'ok';
    }, clock);
    c.push('a');
    await tick(clock, 300);
    c.push('b');
    await tick(clock, 900);
    c.push('c');
    await tick(clock, 600);
    await closeWhileTicking(clock, c);
    expect(posts).toBe(2);
    expect(c.gone).toBe(true);
  });

  test('with posts of varying speed every pushed byte arrives once, in order, never sooner than the adaptive wait', async () => {
    // A fixed pseudo-random sequence (no real randomness): post durations 0–700 ms, pushes every
    // 0–30 ms of 1–40 characters, a few of them large enough to flush on bytes.
    let seed = 13;
    const next = (n: number) => {
      seed = (seed * 48271) % 2147483647; // Park–Miller: the product stays exact in a double
      return seed % n;
    };
    const durations: number[] = [];
    const clock = new ManualClock();
    const p = timedPoster(clock, () => {
      const d = next(8) * 100;
      durations.push(d);
      return d;
    });
    const c = new Coalescer('reply-11', p.post, clock);
    let pushed = '';
    let bytesFlushes = 0;
    for (let i = 0; i < 400; i++) {
      const piece = (next(20) === 0 ? '가'.repeat(1500) : '') + `${i}:${'ab😀'.repeat(next(13))};`;
      pushed += piece;
      c.push(piece);
      await tick(clock, next(31));
    }
    await closeWhileTicking(clock, c);
    expect(p.sent.map((s) => s.frame.text).join('')).toBe(pushed);
    expect(p.sent.map((s) => s.frame.seq)).toEqual(p.sent.map((_, i) => i));
    for (let i = 1; i < p.sent.length; i++) {
      const gap = p.sent[i].at - p.sent[i - 1].at;
      const wanted = Math.max(50, Math.min(500, 2 * durations[i - 1]));
      // Only a bytes flush or the final close may come sooner, and never before the post returned.
      expect(gap).toBeGreaterThanOrEqual(durations[i - 1]);
      if (gap < wanted) {
        bytesFlushes++;
        expect(i === p.sent.length - 1 || utf8Bytes(p.sent[i].frame.text) >= 4096).toBe(true);
      }
    }
    // The sequence did exercise every branch.
    expect(bytesFlushes).toBeGreaterThan(0);
    expect(durations.some((d) => 2 * d > 500)).toBe(true);
    expect(durations.some((d) => 2 * d < 50)).toBe(true);
  });

  test('a frame carries at most 16 KiB of text, cut on a code-point boundary', () => {
    const [head, rest] = cutUtf8('가'.repeat(6000), 16 * 1024);
    expect(utf8Bytes(head)).toBeLessThanOrEqual(16 * 1024);
    expect(utf8Bytes(head)).toBeGreaterThan(16 * 1024 - 3);
    expect(head + rest).toBe('가'.repeat(6000));
    const [e1, e2] = cutUtf8('😀😀', 5);
    expect([e1, e2]).toEqual(['😀', '😀']);
  });
});
