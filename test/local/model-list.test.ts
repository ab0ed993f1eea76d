import { MAX_MODEL_ID_CHARS } from '../../src/contract/protocol';
import { MAX_LOCAL_MODELS, MAX_MODEL_LABEL_BYTES, ModelListError, parseModelList, shortModelName } from '../../src/local/model-list';

// The `--model` list: repeated flags and comma lists, KIND[:ID][@URL][=LABEL], checked before start.

test('no value is auto; one value or several, repeated or comma-separated, in order', () => {
  expect(parseModelList(undefined)).toEqual([{ kind: 'auto', text: 'auto' }]);
  expect(parseModelList([])).toEqual([{ kind: 'auto', text: 'auto' }]);
  expect(parseModelList('offline')).toEqual([{ kind: 'offline', text: 'offline' }]);
  expect(parseModelList(['offline, offline-fast', 'bedrock:global.anthropic.claude-haiku-4-5-20251001-v1:0']).map((s) => [s.kind, s.id])).toEqual([
    ['offline', undefined], ['offline-fast', undefined], ['bedrock', 'global.anthropic.claude-haiku-4-5-20251001-v1:0'],
  ]);
});

test('ids keep their own colons (Bedrock versions, Ollama tags, ARNs); openai takes @URL; =LABEL names it', () => {
  expect(parseModelList('openai:qwen2.5:7b@http://127.0.0.1:11434/v1=큐웬 7B')).toEqual([
    { kind: 'openai', id: 'qwen2.5:7b', baseUrl: 'http://127.0.0.1:11434/v1', label: '큐웬 7B', text: 'openai:qwen2.5:7b@http://127.0.0.1:11434/v1=큐웬 7B' },
  ]);
  const arn = 'arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-5-haiku-20241022-v1:0';
  expect(parseModelList(`bedrock:${arn}`)[0]).toMatchObject({ kind: 'bedrock', id: arn });
  expect(parseModelList('bedrock=Claude')).toEqual([{ kind: 'bedrock', label: 'Claude', text: 'bedrock=Claude' }]);
  expect(parseModelList('openai@http://gpu.lan:8000/v1')).toEqual([{ kind: 'openai', baseUrl: 'http://gpu.lan:8000/v1', text: 'openai@http://gpu.lan:8000/v1' }]);
});

test.each([
  ['an unknown kind', 'gpt4', /unknown kind "gpt4"/],
  ['an empty entry', 'offline,,bedrock', /empty entry/],
  ['a trailing comma', 'offline,', /empty entry/],
  ['auto with others', 'auto,offline', /auto stands alone/],
  ['an id on offline', 'offline:x', /offline takes no id/],
  ['an empty id', 'bedrock:', /id after : is empty/],
  ['a space in an id', 'bedrock:a b', /printable ASCII/],
  ['a URL on bedrock', 'bedrock:x@http://h', /only openai takes @URL/],
  ['a URL on offline', 'offline@http://h', /only openai takes @URL/],
  ['a URL that is not http', 'openai:m@ftp://h', /not an http/],
  ['not a URL', 'openai:m@nope', /not an http/],
  ['an empty label', 'offline=', /label after = is empty/],
  ['a control character in a label', 'offline=a\tb', /control character/],
])('%s is a clear error naming the forms', (_what, value, message) => {
  expect(() => parseModelList(value)).toThrow(ModelListError);
  expect(() => parseModelList(value)).toThrow(message);
  expect(() => parseModelList(value)).toThrow(/forms: auto, offline, offline-fast, bedrock\[:ID\], openai\[:NAME\]\[@URL\]|auto stands alone/);
});

test('at most 20 models; labels at most 64 UTF-8 bytes (Hangul 3 bytes each); ids at most 256 characters (the frame limit of modelId)', () => {
  const ids = (n: number) => Array.from({ length: n }, (_, i) => `openai:m${i}`);
  expect(parseModelList(ids(MAX_LOCAL_MODELS))).toHaveLength(MAX_LOCAL_MODELS);
  expect(() => parseModelList(ids(MAX_LOCAL_MODELS + 1))).toThrow(/21 models; at most 20/);
  expect(parseModelList(`offline=${'가'.repeat(21)}a`)[0].label).toBe(`${'가'.repeat(21)}a`);
  expect(MAX_MODEL_LABEL_BYTES).toBe(64);
  expect(parseModelList(`bedrock:${'a'.repeat(MAX_MODEL_ID_CHARS)}`)[0].id).toHaveLength(256);
  expect(() => parseModelList(`bedrock:${'a'.repeat(MAX_MODEL_ID_CHARS + 1)}`)).toThrow(/1 to 256 printable/);
  expect(() => parseModelList(`offline=${'가'.repeat(21)}ab`)).toThrow(/over 64 UTF-8 bytes/);
});

test('short names for the picker from Bedrock ids, profiles and ARNs', () => {
  expect(shortModelName('global.anthropic.claude-sonnet-4-5-20250929-v1:0')).toBe('claude-sonnet-4-5');
  expect(shortModelName('amazon.nova-lite-v1:0')).toBe('nova-lite');
  expect(shortModelName('arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0')).toBe('claude-3-haiku');
  expect(shortModelName('arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123')).toBe('abc123');
});
