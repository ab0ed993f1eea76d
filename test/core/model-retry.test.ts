import { scaledClock } from '../../src/core/adapters/clock';
import { MODEL_ATTEMPTS } from '../../src/core/domain/runtime-limits';
import { streamWithRetries } from '../../src/core/model-retry';
import { ModelError, ModelFinish, ModelRequest } from '../../src/core/ports/model';
import { ScriptedBrain } from '../../src/local/model/scripted';
import { BrainModel } from '../support/memory/brain-model';

const request: ModelRequest = { modelId: 'test-model', system: '', turns: [{ role: 'user', text: '안녕' }], inferenceConfig: {} };
const clock = scaledClock(1000);

async function drain(gen: AsyncGenerator<string, ModelFinish, void>): Promise<{ text: string; finish: ModelFinish }> {
  let text = '';
  for (let r = await gen.next(); ; r = await gen.next()) {
    if (r.done) return { text, finish: r.value };
    text += r.value;
  }
}

describe('retrying a throttled model start', () => {
  test(`a start throttled ${MODEL_ATTEMPTS - 1} times is retried and the reply streams once`, async () => {
    const brain = new ScriptedBrain({ tokens: ['가', '나'], throttleFirst: MODEL_ATTEMPTS - 1 });
    const retries: number[] = [];
    const r = await drain(streamWithRetries(new BrainModel(brain), request, new AbortController().signal, clock, (a) => retries.push(a)));
    expect(r).toEqual({ text: '가나', finish: { stopReason: 'end_turn' } });
    expect(retries).toEqual(Array.from({ length: MODEL_ATTEMPTS - 1 }, (_, i) => i + 1));
    expect(brain.requests).toHaveLength(MODEL_ATTEMPTS);
  });

  test(`throttled ${MODEL_ATTEMPTS} times: MODEL_THROTTLED after exactly ${MODEL_ATTEMPTS} attempts`, async () => {
    const brain = new ScriptedBrain({ throttleFirst: MODEL_ATTEMPTS });
    await expect(drain(streamWithRetries(new BrainModel(brain), request, new AbortController().signal, clock)))
      .rejects.toMatchObject({ code: 'MODEL_THROTTLED', retryable: true });
    expect(brain.requests).toHaveLength(MODEL_ATTEMPTS);
  });

  test('a failure after text flowed is never retried (the reply is not doubled)', async () => {
    const brain = new ScriptedBrain({ tokens: ['가', '나', '다'], failAfterTokens: 1 });
    const pieces: string[] = [];
    const gen = streamWithRetries(new BrainModel(brain), request, new AbortController().signal, clock);
    const error = await (async () => {
      try {
        for (let r = await gen.next(); !r.done; r = await gen.next()) pieces.push(r.value);
      } catch (err) { return err; }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ModelError);
    expect(error).toMatchObject({ code: 'MODEL_ERROR' });
    expect(pieces).toEqual(['가']);
    expect(brain.requests).toHaveLength(1);
  });

  test('a refusal that is not throttling is not retried', async () => {
    const brain = new ScriptedBrain({ failBefore: 'accessDeniedException' });
    await expect(drain(streamWithRetries(new BrainModel(brain), request, new AbortController().signal, clock)))
      .rejects.toMatchObject({ code: 'MODEL_ERROR', retryable: false });
    expect(brain.requests).toHaveLength(1);
  });

  test('a stop during the backoff ends the reply as stopped without another attempt', async () => {
    const brain = new ScriptedBrain({ throttleFirst: MODEL_ATTEMPTS });
    const abort = new AbortController();
    const r = drain(streamWithRetries(new BrainModel(brain), request, abort.signal, clock, () => abort.abort()));
    await expect(r).resolves.toEqual({ text: '', finish: { stopReason: 'stopped' } });
    expect(brain.requests).toHaveLength(1);
  });
});
