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

  test('a frame carries at most 16 KiB of text, cut on a code-point boundary', () => {
    const [head, rest] = cutUtf8('가'.repeat(6000), 16 * 1024);
    expect(utf8Bytes(head)).toBeLessThanOrEqual(16 * 1024);
    expect(utf8Bytes(head)).toBeGreaterThan(16 * 1024 - 3);
    expect(head + rest).toBe('가'.repeat(6000));
    const [e1, e2] = cutUtf8('😀😀', 5);
    expect([e1, e2]).toEqual(['😀', '😀']);
  });
});
