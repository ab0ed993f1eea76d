import { refusedStatus } from './lib/ws-client';
import { startLocalStack } from '../../src/local/stack';
import { api, chat, login, openSocket } from '../e2e/lib/chat';

// Each local stack builds its handlers from its own configuration, so two of them share nothing
// in one process: not the table, not the @connections endpoint, not the signing key.

test('two local stacks started at once in one process each chat on their own store', async () => {
  const envBefore = { ...process.env };
  const stacks = await Promise.all(['하나', '둘'].map(() =>
    startLocalStack({ port: 0, inMemory: true, model: 'offline', offlineCps: 5000, log: () => undefined })));
  try {
    const [a, b] = stacks;
    expect(a.url).not.toBe(b.url);
    expect(a.environment.chat.tableName === b.environment.chat.tableName
      && a.environment.chat.aws.dynamodbEndpoint === b.environment.chat.aws.dynamodbEndpoint).toBe(false);
    expect(a.environment.chat.aws.connectionsEndpoint).not.toBe(b.environment.chat.aws.connectionsEndpoint);
    const tokens = await Promise.all(stacks.map((s) => login(s.url, 'alice')));
    const sockets = await Promise.all(stacks.map((s, i) => openSocket(s.wsUrl, tokens[i])));
    try {
      // Both replies stream at the same time.
      const replies = await Promise.all(sockets.map((s, i) => chat(s, `스택 ${i + 1}에서 안녕하세요`)));
      replies.forEach((r, i) => {
        expect(r.done).toMatchObject({ stopReason: 'end_turn' });
        expect(r.text).toContain(`스택 ${i + 1}에서 안녕하세요`);
      });
      // Each stack stored exactly its own conversation.
      for (const [i, s] of stacks.entries()) {
        const list = await api(s.url, tokens[i], '/conversations');
        expect(list.status).toBe(200);
        expect(list.body.items.map((c: any) => c.conversationId)).toEqual([replies[i].accepted.conversationId]);
      }
      // A token of one stack is not accepted by the other (its own issuer and key).
      expect((await api(b.url, tokens[0], '/conversations')).status).toBe(401);
      expect(await refusedStatus(`${b.wsUrl}?token=${encodeURIComponent(tokens[0])}`)).toBe(401);
    } finally {
      for (const s of sockets) s.ws.close();
    }
  } finally {
    await Promise.all(stacks.map((s) => s.close()));
  }
  // Nothing was written to the process environment.
  expect(process.env).toEqual(envBefore);
});
