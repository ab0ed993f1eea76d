import { BrainRequest } from '../../src/local/model/brain';
import { OFFLINE_QUOTE_CHARS, OFFLINE_SYSTEM_TAIL_CHARS, offlineBrain, offlineReplyText } from '../../src/local/model/offline';

// The offline demo model: a short Markdown answer in the user's language that says in its first
// line what it is, quotes the question, varies with the question and with each new version.

const request = (text: string, system: string[] = [], history: BrainRequest['messages'] = []): BrainRequest =>
  ({ modelId: 'offline', messages: [...history, { role: 'user', content: [{ text }] }], system, inferenceConfig: {}, streaming: true });
const reply = (text: string, version = 0) => offlineReplyText(request(text), version);

async function streamed(brain: ReturnType<typeof offlineBrain>, r: BrainRequest): Promise<string> {
  let text = '';
  for await (const piece of await brain.converse(r, new AbortController().signal)) text += piece;
  return text;
}

test.each([
  ['Korean', '서울 날씨 알려줘', /^\[offline model\] context: 0 messages · 오프라인 데모 모델.*AWS/, '## 데모 답변 1'],
  ['English', 'What is a monad?', /^\[offline model\] context: 0 messages · The offline demo model.*no AWS/, '## Demo answer 1'],
])('%s: the first line says it is the offline demo model, then a heading, the quote, a list, a table and a code block', (_lang, text, first, heading) => {
  const out = reply(text);
  const blocks = out.split('\n\n');
  expect(blocks[0]).toMatch(first);
  expect(blocks[0]).not.toContain('\n');
  expect(blocks[1]).toBe(heading);
  expect(blocks[2]).toBe(`> ${text}`);
  expect(out).toMatch(/^- \*\*.+\n- \*\*.+\n- \*\*.+$/m);
  expect(out).toMatch(/^\|.+\|\n\|---\|---\|\n(\|.+\|\n){4}/m);
  expect(out).toMatch(/^```(typescript|python|json|bash)\n[^]*?\n```$/m);
  expect(out).toContain(JSON.stringify(text).slice(1, -1));
});

test('Hangul anywhere in the question → Korean; none → no Hangul at all', () => {
  expect(reply('explain 모나드')).toMatch(/데모 답변/);
  expect(reply('<img src=x onerror=alert(1)> hello')).not.toMatch(/[\uAC00-\uD7A3]/);
});

test('the table counts the question in characters and UTF-8 bytes (Hangul 3 bytes) and shows the end of the system prompt', () => {
  const out = offlineReplyText(request('가나다 ab', ['deploy prompt', `ends with my instructions ${'x'.repeat(OFFLINE_SYSTEM_TAIL_CHARS)}|pipe`]), 0);
  expect(out).toContain('| 글자 수 | 6 |');
  expect(out).toContain('| UTF-8 바이트 | 12 |');
  // The last characters, a table-safe "|", and the cut said with "…".
  expect(out).toContain(`| 시스템 프롬프트 끝 | …${'x'.repeat(OFFLINE_SYSTEM_TAIL_CHARS - 5)}\\|pipe |`);
  expect(offlineReplyText(request('hi', ['be brief']), 0)).toContain('| End of the system prompt | be brief |');
});

test('quotes at most the first 200 characters, every line as a quote', () => {
  const out = reply(`${'가'.repeat(OFFLINE_QUOTE_CHARS - 2)}\n나다라`);
  expect(out).toContain(`> ${'가'.repeat(OFFLINE_QUOTE_CHARS - 2)}\n> 나\n`);
  expect(out).not.toContain('나다');
});

test('different questions get different parts, the same question the same (version 0), another version other parts', () => {
  const questions = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
  const codeLanguages = new Set(questions.map((q) => /```(\w+)/.exec(reply(q))![1]));
  expect(codeLanguages.size).toBeGreaterThan(1);
  expect(reply('같은 질문')).toBe(reply('같은 질문'));
  const lists = (t: string) => t.split('\n').filter((l) => l.startsWith('- ')).join('\n');
  expect(lists(reply('같은 질문', 1))).not.toBe(lists(reply('같은 질문', 0)));
  expect(reply('같은 질문', 1)).toContain('## 데모 답변 2');
});

test('the brain answers the same request again with the next version (a regenerated answer differs), others from version 0', async () => {
  const brain = offlineBrain({ cps: 1e6 });
  const r = request('다시 해 줘');
  expect(await streamed(brain, r)).toBe(offlineReplyText(r, 0));
  expect(await streamed(brain, r)).toBe(offlineReplyText(r, 1));
  expect(await streamed(brain, request('다른 질문'))).toBe(offlineReplyText(request('다른 질문'), 0));
  const later = request('다시 해 줘', [], [{ role: 'user', content: [{ text: 'q' }] }, { role: 'assistant', content: [{ text: 'a' }] }]);
  expect(await streamed(brain, later)).toBe(offlineReplyText(later, 0));
});

test('nothing in the question can close the code block or leave its table cell', () => {
  const out = reply('```\n| a | b |\n```');
  const code = /```(\w+)\n([^]*?)\n```/.exec(out)!;
  expect(code[2]).not.toMatch(/^```/m);
  // Four versions cover the four languages; the shell one quotes a quote.
  const bash = [0, 1, 2, 3].map((v) => offlineReplyText(request('it\'s'), v)).find((t) => t.includes('```bash'));
  expect(bash).toContain('printf \'%s\' \'it\'\\\'\'s\' | wc -c');
});
