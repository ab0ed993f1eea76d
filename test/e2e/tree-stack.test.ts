import { api, chat, login, newMessageId, openSocket } from './lib/chat';
import { LocalStack, startLocalStack } from '../../src/local/stack';
import { FakeOpenAi, fakeOpenAi } from '../local/lib/fake-openai';
import type { TestSocket } from '../local/lib/ws-client';

// The conversation tree (docs/PROTOCOL.md §13) through the whole local stack over real sockets:
// the local gateway routes `regenerate` like `sendMessage`, the real handlers store the tree in
// dynalite, and the model is an OpenAI-compatible server that records every request it gets and
// answers each with a text of its own (the request's number), so versions differ.

let fake: FakeOpenAi;
let stack: LocalStack;
let token: string;
let answered = 0;

beforeAll(async () => {
  fake = await fakeOpenAi(() => ['답변 ', `#${++answered}`]);
  stack = await startLocalStack({ port: 0, inMemory: true, model: 'openai', openaiBaseUrl: fake.baseUrl, modelId: 'qwen-test', log: () => undefined });
  token = await login(stack.url, 'tree-user');
});
afterAll(async () => {
  await stack?.close();
  await fake?.close();
});

/** The conversation the newest streamed request sent, without the system prompt: role:text. */
function lastModelRequest(): string[] {
  const r = fake.requests.filter((q) => q.body.stream === true).at(-1);
  return r.body.messages.filter((m: any) => m.role !== 'system').map((m: any) => `${m.role}:${m.content}`);
}

async function regenerate(s: TestSocket, conversationId: string, userMessageId: string, messageId = newMessageId()) {
  s.send({ action: 'regenerate', messageId, conversationId, userMessageId });
  const accepted = await s.next((f) => f.messageId === messageId && (f.type === 'accepted' || f.type === 'error'));
  if (accepted.type === 'error') return { accepted, text: '' };
  await s.next((f) => (f.type === 'done' || f.type === 'error') && f.replyId === accepted.replyId);
  return { accepted, text: s.frames.filter((f) => f.type === 'delta' && f.replyId === accepted.replyId).map((f) => f.text).join('') };
}

async function activePath(conversationId: string): Promise<any[]> {
  const r = await api(stack.url, token, `/conversations/${conversationId}/messages`);
  expect(r.status).toBe(200);
  return r.body.items;
}

const put = (conversationId: string, messageId: string) => api(stack.url, token, `/conversations/${conversationId}/active`, {
  method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ messageId }),
});

test('edit turn 2 of 5, regenerate the last answer twice, switch versions, reload: the next turn sends the model exactly the active path', async () => {
  const s = await openSocket(stack.wsUrl, token);
  try {
    const turns = [await chat(s, '질문 1')];
    const c = turns[0].accepted.conversationId;
    for (let k = 2; k <= 5; k++) turns.push(await chat(s, `질문 ${k}`, c));

    // Edit turn 2: a sibling of "질문 2" after the first answer.
    const editId = newMessageId();
    s.send({ action: 'sendMessage', messageId: editId, conversationId: c, parentId: turns[0].accepted.replyId, text: '질문 2, 고쳐서' });
    const editAccepted = await s.next((f) => f.type === 'accepted' && f.messageId === editId);
    await s.next((f) => f.type === 'done' && f.replyId === editAccepted.replyId);
    expect(lastModelRequest()).toEqual(['user:질문 1', `assistant:${turns[0].text}`, 'user:질문 2, 고쳐서']);

    // Regenerate the (new) last answer twice: three versions of it, each a different text.
    const r1 = await regenerate(s, c, editId);
    const r2 = await regenerate(s, c, editId);
    expect(new Set([r1.text, r2.text]).size).toBe(2);
    expect(lastModelRequest()).toEqual(['user:질문 1', `assistant:${turns[0].text}`, 'user:질문 2, 고쳐서']);
    let path = await activePath(c);
    expect(path.at(-1)).toMatchObject({
      messageId: r2.accepted.replyId,
      text: r2.text,
      versions: { ids: [editAccepted.replyId, r1.accepted.replyId, r2.accepted.replyId], index: 2 },
    });
    expect(path[2]).toMatchObject({ messageId: editId, versions: { ids: [turns[1].accepted.messageId, editId], index: 1 } });

    // Switch the answer to its first regeneration, then turn 2 back to the original and forth again.
    expect((await put(c, r1.accepted.replyId)).body).toEqual({ activeLeafId: r1.accepted.replyId });
    expect((await put(c, turns[1].accepted.messageId)).body).toEqual({ activeLeafId: turns[4].accepted.replyId });
    expect((await activePath(c)).map((m) => m.text)).toHaveLength(10);
    expect((await put(c, editId)).body).toEqual({ activeLeafId: r1.accepted.replyId });

    // Reload (a fresh read of the conversation): the chosen versions are kept.
    path = await activePath(c);
    expect(path.map((m) => m.text)).toEqual(['질문 1', turns[0].text, '질문 2, 고쳐서', r1.text]);
    expect(path.map((m) => m.parentId)).toEqual([c, turns[0].accepted.messageId, turns[0].accepted.replyId, editId]);

    // The next turn: the model gets exactly the active path.
    const next = await chat(s, '질문 3, 새 갈래', c);
    expect(lastModelRequest()).toEqual(['user:질문 1', `assistant:${turns[0].text}`, 'user:질문 2, 고쳐서', `assistant:${r1.text}`, 'user:질문 3, 새 갈래']);
    expect((await activePath(c)).map((m) => m.text)).toEqual(['질문 1', turns[0].text, '질문 2, 고쳐서', r1.text, '질문 3, 새 갈래', next.text]);
  } finally { s.ws.close(); }
});

test('two tabs regenerate the same answer at once: one is accepted, the other BUSY, nothing is duplicated', async () => {
  const a = await openSocket(stack.wsUrl, token);
  const b = await openSocket(stack.wsUrl, token);
  try {
    const first = await chat(a, '동시에 다시');
    const c = first.accepted.conversationId;
    const u = first.accepted.messageId;
    let release!: () => void;
    fake.hold = new Promise<void>((r) => { release = r; });
    const seen = fake.requests.length;
    const streams = () => fake.requests.filter((q) => q.body.stream === true).length;
    const streamsBefore = streams();
    const ida = newMessageId();
    a.send({ action: 'regenerate', messageId: ida, conversationId: c, userMessageId: u });
    const accepted = await a.next((f) => f.messageId === ida && f.type === 'accepted');
    // Tab A's reply is generating (the model has its request and holds it): tab B's is refused.
    for (let i = 0; i < 500 && fake.requests.length === seen; i++) await new Promise((r) => setTimeout(r, 10));
    const other = await regenerate(b, c, u);
    expect(other.accepted).toMatchObject({ type: 'error', code: 'BUSY', retryable: true });
    expect((await put(c, first.accepted.replyId)).status).toBe(409);
    fake.hold = undefined;
    release();
    await a.next((f) => f.type === 'done' && f.replyId === accepted.replyId);
    // Tab A's request resent on the other socket (a retry after a reconnect): the same accepted, no second reply.
    b.send({ action: 'regenerate', messageId: ida, conversationId: c, userMessageId: u });
    expect(await b.next((f) => f.messageId === ida)).toEqual(accepted);
    const path = await activePath(c);
    expect(path).toHaveLength(2);
    expect(path[1].versions).toEqual({ ids: [first.accepted.replyId, accepted.replyId], index: 1 });
    expect(streams() - streamsBefore).toBe(1);
  } finally { a.ws.close(); b.ws.close(); }
});
