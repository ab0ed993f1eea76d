import { OFFLINE_MIN_REPLY_CHARS, offlineReplyText } from '../../src/local/model/offline';

// The offline model pads its reply with filler about itself: never the same paragraph twice.

const reply = (text: string) => offlineReplyText({ modelId: 'offline', messages: [{ role: 'user', content: [{ text }] }], system: [], inferenceConfig: {}, streaming: true });

test.each([
  ['a one-character Korean message', '네'],
  ['a short Korean message', '안녕하세요'],
  ['a one-character English message', 'k'],
  ['an empty message', ''],
  ['a long Korean message', '가'.repeat(250)],
])('%s: no paragraph repeated, and the reply is at least the minimum length', (_what, text) => {
  const out = reply(text);
  expect(Array.from(out).length).toBeGreaterThanOrEqual(OFFLINE_MIN_REPLY_CHARS);
  const paragraphs = out.split('\n\n').map((p) => p.trim()).filter((p) => p.length > 0);
  expect(new Set(paragraphs).size).toBe(paragraphs.length);
  // No sentence of the filler twice either.
  const sentences = out.split(/(?<=[.!?])\s+/).map((p) => p.trim()).filter((p) => p.length > 20);
  expect(new Set(sentences).size).toBe(sentences.length);
});

test('a Korean message gets Korean filler, an English one English filler', () => {
  expect(reply('안녕하세요')).toMatch(/오프라인 모델/);
  expect(reply('hello')).toMatch(/offline model, which is not a language model/);
});
