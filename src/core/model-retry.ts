import { MODEL_ATTEMPTS, MODEL_BACKOFF_MS } from './domain/runtime-limits';
import type { Clock } from './ports/clock';
import { Model, ModelError, ModelFinish, ModelRequest } from './ports/model';

/**
 * Streams one reply, retrying a throttled start with exponential backoff and jitter on `clock`
 * (MODEL_ATTEMPTS in all, within the reply's lease). Nothing is retried once text flowed, so a
 * reply is never doubled. Returns `stopped` when `signal` aborts during a backoff.
 */
export async function* streamWithRetries(model: Model, request: ModelRequest, signal: AbortSignal, clock: Clock,
  onRetry?: (attempt: number) => void): AsyncGenerator<string, ModelFinish, void> {
  for (let attempt = 1; ; attempt++) {
    const stream = model.stream(request, signal);
    let first: IteratorResult<string, ModelFinish>;
    try {
      first = await stream.next();
    } catch (err) {
      if (!(err instanceof ModelError) || err.code !== 'MODEL_THROTTLED' || attempt >= MODEL_ATTEMPTS) throw err;
      onRetry?.(attempt);
      const backoff = MODEL_BACKOFF_MS * 2 ** (attempt - 1);
      await clock.sleep(backoff / 2 + Math.random() * backoff / 2, signal);
      if (signal.aborted) return { stopReason: 'stopped' };
      continue;
    }
    if (first.done) return first.value;
    yield first.value;
    return yield* stream;
  }
}
