import { api, chat, login, openSocket } from './lib/chat';
import { MAX_INSTRUCTIONS_BYTES } from '../../src/contract/protocol';
import { LocalStack, startLocalStack } from '../../src/local/stack';

// Issue 11 on the whole local stack, with its real sign-in tokens: the instructions routes are
// served behind the same JWT check as the history routes, and each reply names its model.

let stack: LocalStack;
let alice: string;
let bob: string;

beforeAll(async () => {
  stack = await startLocalStack({ port: 0, inMemory: true, model: 'offline', offlineCps: 5000, log: () => undefined });
  alice = await login(stack.url, 'alice');
  bob = await login(stack.url, '밥');
});
afterAll(async () => {
  await stack?.close();
});

const put = (token: string, body: string) => api(stack.url, token, '/instructions', { method: 'PUT', headers: { 'content-type': 'application/json' }, body });

test('GET/PUT /api/instructions: per user, behind the token check, limited in UTF-8 bytes', async () => {
  expect((await api(stack.url, alice, '/instructions')).body).toEqual({ text: '' });
  const saved = await put(alice, JSON.stringify({ text: '짧게 답해 주세요.' }));
  expect(saved).toMatchObject({ status: 200, body: { text: '짧게 답해 주세요.', updatedAt: expect.any(String) } });
  expect((await api(stack.url, alice, '/instructions')).body).toEqual(saved.body);
  expect((await api(stack.url, bob, '/instructions')).body).toEqual({ text: '' });
  expect((await put(bob, JSON.stringify({ text: '가'.repeat(1334) }))).body).toMatchObject({ code: 'TOO_LARGE' });
  expect(Buffer.byteLength('가'.repeat(1334))).toBe(MAX_INSTRUCTIONS_BYTES + 2);
  expect((await put(bob, 'not json')).status).toBe(400);
  const res = await fetch(`${stack.url}/api/instructions`, { method: 'PUT', body: '{"text":"x"}' });
  expect(res.status).toBe(401);
});

test('a reply over the socket names its model in accepted and in the history', async () => {
  const s = await openSocket(stack.wsUrl, alice);
  try {
    const reply = await chat(s, '모델이 뭐예요?');
    expect(reply.accepted.modelId).toBe(stack.modelId);
    const { conversationId, replyId } = reply.accepted;
    expect((await api(stack.url, alice, `/conversations/${conversationId}`)).body.modelId).toBe(stack.modelId);
    const messages = (await api(stack.url, alice, `/conversations/${conversationId}/messages`)).body.items;
    expect(messages.at(-1)).toMatchObject({ messageId: replyId, role: 'assistant', modelId: stack.modelId, usage: reply.done.usage });
  } finally { s.ws.close(); }
});
