/**
 * The model behind the bench and the load suite: a brain for the local model server whose
 * behaviour for each request is chosen by a tag in the user's newest message, so one stack can
 * serve normal answers, throttled ones and failing ones at the same time. It also records when it
 * produced each reply's first token, which is where `addedFirstTokenMs` starts counting.
 */
import { nowMs } from './stats';
import type { Brain, BrainFinish, BrainRequest } from '../../../src/local/model/brain';
import { BrainError, lastUserText } from '../../../src/local/model/brain';

/** What the model does for one tagged message. */
export interface Behaviour {
  /** The reply's pieces, in order. */
  readonly tokens: readonly string[];
  /** Delay before the first piece, ms. */
  readonly firstTokenMs: number;
  /** Delay between pieces, ms (1000/60 for 60 tokens a second). */
  readonly intervalMs: number;
  /** Refuse the first N streaming calls for this tag with ThrottlingException (then answer). */
  readonly throttleCalls?: number;
  /** Fail with modelStreamErrorException after this many pieces. */
  readonly failAfterTokens?: number;
  /**
   * After this many pieces the stream holds (still open, producing nothing) until
   * {@link BenchBrain.release} is called for the tag or the caller aborts it. A fault scenario
   * uses it to make "the reply is still being generated" true for as long as it needs, instead
   * of hoping the model is slow enough.
   */
  readonly holdAfterTokens?: number;
}

/** Tags look like `[[t:abc123]]`; anything after the tag in the message is free text. */
const TAG = /\[\[t:([A-Za-z0-9_-]+)\]\]/;

/** Builds the tag to put in a user message so the brain applies `key`'s behaviour. */
export function tag(key: string): string {
  return `[[t:${key}]]`;
}

/** Records of one tag's calls. */
export interface TagRecord {
  /** Streaming calls received (throttled ones included). */
  calls: number;
  /** Calls refused with ThrottlingException. */
  throttled: number;
  /** `performance.now()` when each streaming call arrived. */
  requestAt: number[];
  /** The process's CPU time (user + system, ms; every thread) when each streaming call arrived. */
  requestCpuMs: number[];
  /** Messages (history + the new one) each streaming call was sent. */
  messageCounts: number[];
  /** `performance.now()` when each call's first piece was produced. */
  firstTokenAt: number[];
  /** Pieces produced by the last call that produced any. */
  produced: number;
  /** How the last held stream left its hold: released by the scenario, or aborted by the caller. */
  holdEnded?: 'released' | 'aborted';
}

/** The hold of one tag: reached by the stream, released by the scenario. */
interface Gate {
  readonly reached: Promise<void>;
  readonly released: Promise<void>;
  reach(): void;
  release(): void;
}

function gate(): Gate {
  let reach!: () => void;
  let release!: () => void;
  const reached = new Promise<void>((r) => { reach = r; });
  const released = new Promise<void>((r) => { release = r; });
  return { reached, reach, released, release };
}

/** The process's CPU time so far, ms (user + system, every thread). */
export function processCpuMs(): number {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
}

/**
 * A {@link Brain} that looks up the behaviour of each request by the tag in its newest user
 * message; untagged requests (and title calls) get `fallback`.
 */
export class BenchBrain implements Brain {
  /** Per tag: what happened. */
  public readonly records = new Map<string, TagRecord>();
  private readonly behaviours = new Map<string, Behaviour>();
  private readonly gates = new Map<string, Gate>();

  constructor(private readonly fallback: Behaviour, private readonly title = 'Bench conversation') {}

  /** Sets the behaviour for a tag. */
  public define(key: string, behaviour: Behaviour): void {
    this.behaviours.set(key, behaviour);
  }

  /**
   * Resolves once a stream of this tag has produced its `holdAfterTokens` pieces and is holding
   * (at once if it already did).
   */
  public held(key: string): Promise<void> {
    return this.gateOf(key).reached;
  }

  /** Lets a held stream of this tag go on (a later stream of the tag does not hold again). */
  public release(key: string): void {
    this.gateOf(key).release();
  }

  private gateOf(key: string): Gate {
    let g = this.gates.get(key);
    if (!g) {
      g = gate();
      this.gates.set(key, g);
    }
    return g;
  }

  /** The record of a tag (created empty on first use). */
  public record(key: string): TagRecord {
    let r = this.records.get(key);
    if (!r) {
      r = { calls: 0, throttled: 0, requestAt: [], requestCpuMs: [], messageCounts: [], firstTokenAt: [], produced: 0 };
      this.records.set(key, r);
    }
    return r;
  }

  public async converse(request: BrainRequest, signal: AbortSignal): Promise<AsyncGenerator<string, BrainFinish | void, void>> {
    const title = this.title;
    if (!request.streaming) {
      return (async function* () { yield title; return { stopReason: 'end_turn' as const }; })();
    }
    const key = TAG.exec(lastUserText(request))?.[1];
    const b = (key && this.behaviours.get(key)) || this.fallback;
    const rec = this.record(key ?? '_untagged');
    rec.calls++;
    rec.requestAt.push(nowMs());
    rec.requestCpuMs.push(processCpuMs());
    rec.messageCounts.push(request.messages.length);
    if (rec.calls <= (b.throttleCalls ?? 0)) {
      rec.throttled++;
      throw new BrainError('throttlingException', 'Too many requests, please wait before trying again.');
    }
    rec.produced = 0;
    const hold = b.holdAfterTokens !== undefined && key ? this.gateOf(key) : undefined;
    return (async function* () {
      // Pieces are due on a fixed schedule from the call's start, so timer jitter never adds up
      // and the rate stays what the behaviour says.
      let start = nowMs();
      for (let i = 0; i < b.tokens.length; i++) {
        if (hold && i === b.holdAfterTokens) {
          const heldAt = nowMs();
          hold.reach();
          await Promise.race([hold.released, aborted(signal)]);
          rec.holdEnded = signal.aborted ? 'aborted' : 'released';
          // The schedule resumes where it stood: the hold adds no catch-up burst.
          start += nowMs() - heldAt;
        }
        await sleep(start + b.firstTokenMs + i * b.intervalMs - nowMs(), signal);
        if (signal.aborted) return { stopReason: 'end_turn' as const };
        if (b.failAfterTokens !== undefined && i >= b.failAfterTokens) {
          throw new BrainError('modelStreamErrorException', 'The model stream failed (bench fault).');
        }
        if (i === 0) rec.firstTokenAt.push(nowMs());
        rec.produced++;
        yield b.tokens[i];
      }
      return { stopReason: 'end_turn' as const, usage: { inputTokens: 10, outputTokens: b.tokens.length } };
    })();
  }
}

/** Resolves when the caller aborts (never, if it does not). */
function aborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

/** Sleeps `ms` (nothing when ≤ 0), waking early when the caller aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
