import { parseInferenceConfig } from '../../src/contract/env';
import { chatConfigFromEnv } from '../../src/core/config';
import { DEFAULT_SYSTEM_PROMPT } from '../../src/core/prompts';

const base = { TABLE_NAME: 't', MODEL_ID: 'global.anthropic.claude-sonnet-4-5-20250929-v1:0' };

describe('chat configuration from the environment', () => {
  test('defaults: title model = model, Korean-first system prompt, budget 8000, 20 a minute, 16,000 chars, 32 KiB', () => {
    const c = chatConfigFromEnv(base);
    expect(c).toMatchObject({
      titleModelId: base.MODEL_ID,
      systemPrompt: DEFAULT_SYSTEM_PROMPT,
      historyTokenBudget: 8000,
      rateLimitPerMinute: 20,
      limits: { maxInputChars: 16_000, maxFrameBytes: 32_768 },
      inferenceConfig: {},
    });
    expect(DEFAULT_SYSTEM_PROMPT).toMatch(/한국어/);
    expect(DEFAULT_SYSTEM_PROMPT).toMatch(/language the user wrote/);
  });

  test('the construct\'s JSON inference config is read; unknown keys and bad values are refused clearly', () => {
    expect(parseInferenceConfig(JSON.stringify({ maxTokens: 1024, temperature: 0.3, topP: 1, stopSequences: ['\n\nHuman:'] })))
      .toEqual({ maxTokens: 1024, temperature: 0.3, topP: 1, stopSequences: ['\n\nHuman:'] });
    expect(() => parseInferenceConfig('{"maxToken": 5}')).toThrow(/invalid maxToken/);
    expect(() => parseInferenceConfig('{"temperature": 1.5}')).toThrow(/invalid temperature/);
    expect(() => parseInferenceConfig('{"maxTokens": 0}')).toThrow(/invalid maxTokens/);
    expect(() => parseInferenceConfig('not json')).toThrow(/not JSON/);
  });

  test('missing or malformed variables name themselves', () => {
    expect(() => chatConfigFromEnv({ MODEL_ID: 'm' })).toThrow(/TABLE_NAME is not set/);
    expect(() => chatConfigFromEnv({ ...base, RATE_LIMIT_PER_MINUTE: '0' })).toThrow(/RATE_LIMIT_PER_MINUTE must be a positive integer/);
    expect(() => chatConfigFromEnv({ ...base, HISTORY_TOKEN_BUDGET: '8k' })).toThrow(/HISTORY_TOKEN_BUDGET/);
    expect(chatConfigFromEnv({ ...base, RATE_LIMIT_PER_MINUTE: '1' }).rateLimitPerMinute).toBe(1);
  });
});
