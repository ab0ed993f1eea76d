import { api, chat, login, openSocket } from './lib/chat';
import { LocalStack, startLocalStack } from '../../src/local/stack';
import { FAKE_PIECES, FakeOpenAi, fakeOpenAi } from '../local/lib/fake-openai';

// `--model openai`: the real chat handler streams ConverseStream from the local model server, whose
// openai brain streams from an OpenAI-compatible server (here a small real one, as Ollama would be).

let fake: FakeOpenAi;
let stack: LocalStack;

beforeAll(async () => {
  fake = await fakeOpenAi();
  stack = await startLocalStack({ port: 0, inMemory: true, model: 'openai', openaiBaseUrl: fake.baseUrl, modelId: 'qwen-test', log: () => undefined });
});
afterAll(async () => {
  await stack?.close();
  await fake?.close();
});

test('a reply from an OpenAI-compatible server streams through the whole stack with its usage, and the model is named in config.json', async () => {
  expect(stack.modelProvider).toBe('openai');
  expect(stack.modelDescription).toContain(fake.baseUrl);
  expect((await (await fetch(`${stack.url}/config.json`)).json()).model).toEqual({ provider: 'openai', modelId: 'qwen-test' });
  const token = await login(stack.url, 'alice');
  const s = await openSocket(stack.wsUrl, token);
  try {
    const reply = await chat(s, '안녕?');
    expect(reply.text).toBe(FAKE_PIECES.join(''));
    expect(reply.done).toMatchObject({ stopReason: 'end_turn', usage: { inputTokens: 21, outputTokens: 9 } });
    const streamed = fake.requests.find((r) => r.body.stream === true);
    expect(streamed.body.model).toBe('qwen-test');
    expect(streamed.body.messages.at(-1)).toEqual({ role: 'user', content: '안녕?' });
    expect(streamed.body.messages[0].role).toBe('system');
    const stored = await api(stack.url, token, `/conversations/${reply.accepted.conversationId}/messages`);
    expect(stored.body.items[1]).toMatchObject({ role: 'assistant', text: FAKE_PIECES.join(''), status: 'complete' });
  } finally { s.ws.close(); }
});

test('a throttled OpenAI-compatible server reaches the client as a retryable MODEL_THROTTLED error', async () => {
  fake.mode = 'throttle';
  const token = await login(stack.url, 'bob');
  const s = await openSocket(stack.wsUrl, token);
  try {
    await expect(chat(s, '지금 되나요?')).rejects.toThrow(/MODEL_THROTTLED/);
    const err = s.frames.find((f) => f.type === 'error');
    expect(err).toMatchObject({ code: 'MODEL_THROTTLED', retryable: true });
  } finally {
    s.ws.close();
    fake.mode = 'stream';
  }
});
