import { COALESCE_BYTES, COALESCE_MAX_MS, COALESCE_MS, COALESCE_POST_FACTOR, MAX_DELTA_BYTES } from './runtime-limits';
import { cutUtf8 } from './text';
import { DeltaFrame, utf8Bytes } from '../../contract/protocol';
import type { Clock } from '../ports/clock';

/** Sends one frame; resolves `gone` when the client left (GoneException). */
export type PostFrame = (frame: DeltaFrame) => Promise<'ok' | 'gone'>;

/** Coalescer tuning (defaults from runtime-limits.ts). */
export interface CoalescerOptions {
  intervalMs?: number;
  /** The next post waits this many times the last post's duration (from that post's start)… */
  postFactor?: number;
  /** …but at most this long (never less than `intervalMs`). */
  maxIntervalMs?: number;
  flushBytes?: number;
  maxFrameTextBytes?: number;
}

/**
 * Turns model deltas into `delta` frames: the first at once, then at most one post per
 * `intervalMs` unless `flushBytes` are waiting. One post is in flight at a time, so frames
 * arrive in order with contiguous `seq`, while `push` never waits: text that arrives during a
 * slow post simply joins the next frame. After a `gone` answer nothing more is posted.
 *
 * The interval adapts to load: a post that took `d` ms (on the injected clock) is followed by
 * the next no sooner than `postFactor × d` after its start, at most `maxIntervalMs`. A slow post
 * means a loaded endpoint or a loaded machine (each post is an SDK call costing CPU), and
 * posting less often then is what lets it catch up; fast posts keep the `intervalMs` cadence.
 */
export class Coalescer {
  /** Frames posted (the next `seq`). */
  public seq = 0;
  /** The client left; posting stopped. */
  public gone = false;
  private buffer = '';
  private bufferBytes = 0;
  private lastPostAt = -Infinity;
  private lastPostMs = 0;
  private running: Promise<void> | undefined;
  private wake: AbortController | undefined;
  private closing = false;
  private readonly intervalMs: number;
  private readonly postFactor: number;
  private readonly maxIntervalMs: number;
  private readonly flushBytes: number;
  private readonly maxFrameTextBytes: number;

  constructor(private readonly replyId: string, private readonly post: PostFrame, private readonly clock: Clock, options: CoalescerOptions = {}) {
    this.intervalMs = options.intervalMs ?? COALESCE_MS;
    this.postFactor = options.postFactor ?? COALESCE_POST_FACTOR;
    this.maxIntervalMs = options.maxIntervalMs ?? COALESCE_MAX_MS;
    this.flushBytes = options.flushBytes ?? COALESCE_BYTES;
    this.maxFrameTextBytes = options.maxFrameTextBytes ?? MAX_DELTA_BYTES;
  }

  /** Adds model text. Never blocks. */
  public push(text: string): void {
    if (this.gone || text.length === 0) return;
    this.buffer += text;
    this.bufferBytes += utf8Bytes(text);
    if (this.bufferBytes >= this.flushBytes) this.wake?.abort();
    this.start();
  }

  /** Flushes what is left and waits until every frame is posted. */
  public async close(): Promise<void> {
    this.closing = true;
    this.wake?.abort();
    while (this.running) await this.running;
  }

  /**
   * Starts the posting loop unless it runs. A push can land after the loop saw an empty buffer
   * but before its promise settled; the settling step starts the loop again for that text, so
   * `close` never returns with text left unposted.
   */
  private start(): void {
    if (this.running || this.gone || this.buffer.length === 0) return;
    this.running = this.run().finally(() => {
      this.running = undefined;
      this.start();
    });
  }

  private async run(): Promise<void> {
    while (this.buffer.length > 0 && !this.gone) {
      const wait = this.lastPostAt + this.gapMs() - this.clock.now();
      if (wait > 0 && !this.closing && this.bufferBytes < this.flushBytes) {
        this.wake = new AbortController();
        await this.clock.sleep(wait, this.wake.signal);
        this.wake = undefined;
      }
      const [text, rest] = cutUtf8(this.buffer, this.maxFrameTextBytes);
      this.buffer = rest;
      this.bufferBytes = utf8Bytes(rest);
      this.lastPostAt = this.clock.now();
      let result: 'ok' | 'gone' = 'ok';
      try {
        result = await this.post({ type: 'delta', replyId: this.replyId, seq: this.seq++, text });
      } catch {
        // A lost frame is a seq gap: the client reads the stored reply over HTTP.
      }
      // A failed post is timed too: a timeout under load is the slowest post of all.
      this.lastPostMs = this.clock.now() - this.lastPostAt;
      if (result === 'gone') {
        this.gone = true;
        this.buffer = '';
        this.bufferBytes = 0;
      }
    }
  }

  /** Time from one post's start to the next: the cadence, stretched by a slow post, capped. */
  private gapMs(): number {
    return Math.max(this.intervalMs, Math.min(this.maxIntervalMs, this.postFactor * this.lastPostMs));
  }
}
