import { Brain, BrainError, BrainErrorType, BrainFinish, BrainRequest } from './brain';
import { realClock } from '../../core/adapters/clock';
import type { Clock } from '../../core/ports/clock';

/** A script for {@link ScriptedBrain}: every field optional. */
export interface Script {
  /** The reply's pieces, or a function of the request. Default: 20 pieces "tok0 "…. */
  readonly tokens?: readonly string[] | ((request: BrainRequest) => readonly string[]);
  /** Delay before the first piece (clock ms). Default 0. */
  readonly firstTokenDelayMs?: number;
  /** Delay between pieces (clock ms). Default 0. */
  readonly intervalMs?: number;
  /** The first K streaming calls are refused with throttlingException. Default 0. */
  readonly throttleFirst?: number;
  /** Refuse every call before any output with this error (e.g. accessDeniedException). */
  readonly failBefore?: BrainErrorType;
  /** After this many pieces, fail mid-stream with modelStreamErrorException. */
  readonly failAfterTokens?: number;
  readonly stopReason?: BrainFinish['stopReason'];
  /** Usage to report; estimated by the server when omitted. */
  readonly usage?: { inputTokens: number; outputTokens: number };
  /** Answer of non-streaming calls (titles). Default "Scripted title". */
  readonly title?: string;
  readonly clock?: Clock;
}

/**
 * A brain for tests and the bench: exact pieces, timing, throttling and failures, and a record
 * of every request it got (so a test can check what history the model was sent).
 */
export class ScriptedBrain implements Brain {
  /** Every request, in order (streaming and not). */
  public readonly requests: BrainRequest[] = [];
  /** Streaming calls that ran to the end or failed mid-stream, and how many were aborted by the caller. */
  public aborted = 0;
  private streamingCalls = 0;
  private current: Script;

  constructor(script: Script = {}) { this.current = script; }

  /** The script for later calls; setting it restarts the `throttleFirst` count. */
  public get script(): Script { return this.current; }
  public set script(script: Script) { this.current = script; this.streamingCalls = 0; }

  public async converse(request: BrainRequest, signal: AbortSignal): Promise<AsyncGenerator<string, BrainFinish | void, void>> {
    this.requests.push(request);
    const s = this.current;
    const clock = s.clock ?? realClock;
    if (s.failBefore) throw new BrainError(s.failBefore, `scripted ${s.failBefore}`);
    if (!request.streaming) {
      const title = s.title ?? 'Scripted title';
      return (async function* () { yield title; return { stopReason: 'end_turn' as const }; })();
    }
    this.streamingCalls++;
    if (this.streamingCalls <= (s.throttleFirst ?? 0)) {
      throw new BrainError('throttlingException', 'Too many requests, please wait before trying again.');
    }
    const tokens = typeof s.tokens === 'function' ? s.tokens(request)
      : s.tokens ?? Array.from({ length: 20 }, (_, i) => `tok${i} `);
    const self = this;
    return (async function* () {
      for (let i = 0; i < tokens.length; i++) {
        const wait = i === 0 ? s.firstTokenDelayMs ?? 0 : s.intervalMs ?? 0;
        if (wait > 0) await clock.sleep(wait, signal);
        if (signal.aborted) { self.aborted++; return; }
        if (s.failAfterTokens !== undefined && i >= s.failAfterTokens) {
          throw new BrainError('modelStreamErrorException', 'The model stream failed (scripted).');
        }
        yield tokens[i];
      }
      return { stopReason: s.stopReason ?? 'end_turn', usage: s.usage };
    })();
  }
}
