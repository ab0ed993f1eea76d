import { COALESCE_BYTES, COALESCE_MS, MAX_DELTA_BYTES } from './runtime-limits';
import { cutUtf8 } from './text';
import { DeltaFrame, utf8Bytes } from '../../contract/protocol';
import type { Clock } from '../ports/clock';

/** Sends one frame; resolves `gone` when the client left (GoneException). */
export type PostFrame = (frame: DeltaFrame) => Promise<'ok' | 'gone'>;

/** Coalescer tuning (defaults from runtime-limits.ts). */
export interface CoalescerOptions {
  intervalMs?: number;
  flushBytes?: number;
  maxFrameTextBytes?: number;
}

/**
 * Turns model deltas into `delta` frames: the first at once, then at most one post per
 * `intervalMs` unless `flushBytes` are waiting. One post is in flight at a time, so frames
 * arrive in order with contiguous `seq`, while `push` never waits: text that arrives during a
 * slow post simply joins the next frame. After a `gone` answer nothing more is posted.
 */
export class Coalescer {
  /** Frames posted (the next `seq`). */
  public seq = 0;
  /** The client left; posting stopped. */
  public gone = false;
  private buffer = '';
  private bufferBytes = 0;
  private lastPostAt = -Infinity;
  private running: Promise<void> | undefined;
  private wake: AbortController | undefined;
  private closing = false;
  private readonly intervalMs: number;
  private readonly flushBytes: number;
  private readonly maxFrameTextBytes: number;

  constructor(private readonly replyId: string, private readonly post: PostFrame, private readonly clock: Clock, options: CoalescerOptions = {}) {
    this.intervalMs = options.intervalMs ?? COALESCE_MS;
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
      const wait = this.lastPostAt + this.intervalMs - this.clock.now();
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
      if (result === 'gone') {
        this.gone = true;
        this.buffer = '';
        this.bufferBytes = 0;
      }
    }
  }
}
