import { chatFromEnv, ENV, parseModels } from '../../src/contract/env';
import { chatConfig } from '../../src/core/config';

// MODELS, the chat function's list of models, read back from its environment: a bad list fails
// the handler with a message naming the variable, never a silent fallback.

const HAIKU = 'anthropic.claude-3-5-haiku-20241022-v1:0';
const NOVA = 'amazon.nova-micro-v1:0';
const entry = (modelId: string, extra: Record<string, unknown> = {}) => ({ modelId, label: { ko: '모델', en: 'Model' }, ...extra });

describe('MODELS', () => {
  test('is read with each model\'s inference parameters; the handler config gets models and defaultModelId', () => {
    const env = chatFromEnv({
      [ENV.tableName]: 't',
      [ENV.modelId]: NOVA,
      [ENV.models]: JSON.stringify([entry(HAIKU, { inferenceConfig: { maxTokens: 10 } }), entry(NOVA)]),
    });
    expect(env.models).toEqual([
      { modelId: HAIKU, label: { ko: '모델', en: 'Model' }, inferenceConfig: { maxTokens: 10 } },
      { modelId: NOVA, label: { ko: '모델', en: 'Model' }, inferenceConfig: {} },
    ]);
    const config = chatConfig(env);
    expect(config.defaultModelId).toBe(NOVA);
    expect(config.models.map((m) => m.modelId)).toEqual([HAIKU, NOVA]);
  });

  test('unset: the one model of MODEL_ID, labelled with its id, with INFERENCE_CONFIG', () => {
    const config = chatConfig(chatFromEnv({ [ENV.tableName]: 't', [ENV.modelId]: HAIKU, [ENV.inferenceConfig]: '{"topP":0.5}' }));
    expect(config.models).toEqual([{ modelId: HAIKU, label: { ko: HAIKU, en: HAIKU }, inferenceConfig: { topP: 0.5 } }]);
    expect(config.defaultModelId).toBe(HAIKU);
  });

  test.each([
    ['not JSON', '[{', /MODELS is not JSON/],
    ['not an array', '{}', /MODELS must be a non-empty JSON array/],
    ['empty', '[]', /MODELS must be a non-empty JSON array/],
    ['no modelId', JSON.stringify([{ label: { ko: 'a', en: 'b' } }]), /MODELS\[0\] needs a modelId/],
    ['a blank label', JSON.stringify([entry(HAIKU, { label: { ko: ' ', en: 'b' } })]), /MODELS\[0\] needs a label with non-empty ko and en/],
    ['a bad inference parameter', JSON.stringify([entry(HAIKU, { inferenceConfig: { temperature: 2 } })]), /MODELS\[0\].inferenceConfig: invalid temperature/],
    ['an id twice', JSON.stringify([entry(HAIKU), entry(HAIKU)]), /MODELS lists "anthropic.claude-3-5-haiku-20241022-v1:0" twice/],
    ['no MODEL_ID among them', JSON.stringify([entry(NOVA)]), /MODELS does not list MODEL_ID/],
  ])('%s is refused', (_name, raw, message) => {
    expect(() => parseModels(raw, HAIKU)).toThrow(message);
  });
});
