import { QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { awsFromEnv } from '../../src/contract/env';
import { createDocumentClient } from '../../src/core/aws';
import { handler as chat } from '../../src/handlers/chat.lambda';
import { handler as history } from '../../src/handlers/history.lambda';
import { Emulators, id, startEmulators, wsEvent } from '../support/harness';

let em: Emulators;
beforeAll(async () => { em = await startEmulators(); });
afterAll(async () => { await em.close(); });

function req(user: string | undefined, method: string, path: string, opts: { query?: Record<string, string>; body?: string } = {}) {
  return history({
    rawPath: `/api${path}`,
    queryStringParameters: opts.query,
    body: opts.body,
    isBase64Encoded: false,
    requestContext: { http: { method }, ...(user ? { authorizer: { jwt: { claims: { sub: user }, scopes: [] } } } : {}) },
  } as any).then((r) => ({ status: r.statusCode, body: r.body ? JSON.parse(r.body) : undefined }));
}

/** Makes a conversation read as one stored before the tree (linear in sort-key order, docs/TABLE.md §8). */
async function untree(user: string, conversationId: string) {
  await em.doc.send(new UpdateCommand({ TableName: em.env.TABLE_NAME, Key: { pk: `U#${user}`, sk: `C#${conversationId}` }, UpdateExpression: 'REMOVE leafSk, kids, kidActive' }));
  const items = (await em.doc.send(new QueryCommand({ TableName: em.env.TABLE_NAME, KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': `C#${user}#${conversationId}` } }))).Items ?? [];
  for (const item of items) {
    await em.doc.send(new UpdateCommand({ TableName: em.env.TABLE_NAME, Key: { pk: item.pk, sk: item.sk }, UpdateExpression: 'REMOVE parentId, parentSk, anc, kids, kidActive' }));
  }
}

async function converse(user: string, text: string, conversationId?: string) {
  em.brain.script = { tokens: [`답: ${text}`], usage: { inputTokens: 7, outputTokens: 3 } };
  const conn = id('conn');
  await chat(wsEvent('sendMessage', user, conn, JSON.stringify({ action: 'sendMessage', messageId: id('msg'), text, conversationId })));
  return em.sink.frames(conn)[0] as { conversationId: string; replyId: string; messageId: string };
}

describe('history handler', () => {
  test('conversations are listed most recently updated first and paged with cursors', async () => {
    const a = await converse('hana', '첫째 대화');
    const b = await converse('hana', '둘째 대화');
    await converse('hana', '첫째에 다시', a.conversationId);
    const all = await req('hana', 'GET', '/conversations');
    expect(all.status).toBe(200);
    expect(all.body.items.map((c: any) => c.conversationId)).toEqual([a.conversationId, b.conversationId]);
    expect(Object.keys(all.body.items[0]).sort()).toEqual(['conversationId', 'createdAt', 'modelId', 'title', 'updatedAt']);
    const p1 = await req('hana', 'GET', '/conversations', { query: { limit: '1' } });
    expect(p1.body.items.map((c: any) => c.conversationId)).toEqual([a.conversationId]);
    const p2 = await req('hana', 'GET', '/conversations', { query: { limit: '1', cursor: p1.body.nextCursor } });
    expect(p2.body.items.map((c: any) => c.conversationId)).toEqual([b.conversationId]);
  });

  test('limit is 1 to 100: 100 is accepted, 0 and 101 are 400', async () => {
    expect((await req('hana', 'GET', '/conversations', { query: { limit: '100' } })).status).toBe(200);
    expect((await req('hana', 'GET', '/conversations', { query: { limit: '101' } })).status).toBe(400);
    expect((await req('hana', 'GET', '/conversations', { query: { limit: '0' } })).status).toBe(400);
    expect((await req('hana', 'GET', '/conversations', { query: { cursor: 'bm90LWEtY3Vyc29y' } })).status).toBe(400);
  });

  test('messages: the first page holds the newest, oldest first inside it; the cursor walks older', async () => {
    const a = await converse('jun', '하나');
    await converse('jun', '둘', a.conversationId);
    await converse('jun', '셋', a.conversationId);
    const p1 = await req('jun', 'GET', `/conversations/${a.conversationId}/messages`, { query: { limit: '4' } });
    expect(p1.body.items.map((m: any) => m.text)).toEqual(['둘', '답: 둘', '셋', '답: 셋']);
    expect(p1.body.items[3]).toMatchObject({ role: 'assistant', status: 'complete', usage: { inputTokens: 7, outputTokens: 3 } });
    const p2 = await req('jun', 'GET', `/conversations/${a.conversationId}/messages`, { query: { limit: '4', cursor: p1.body.nextCursor } });
    expect(p2.body.items.map((m: any) => m.text)).toEqual(['하나', '답: 하나']);
    expect(p2.body.items[0].messageId).toBe(a.messageId);
    expect(p2.body.items[1].messageId).toBe(a.replyId);
  });

  test('rename: 200 Korean characters are accepted, 201 are 400, and the conversation is returned', async () => {
    const a = await converse('mina', '이름 바꾸기');
    const ok = await req('mina', 'PATCH', `/conversations/${a.conversationId}`, { body: JSON.stringify({ title: '가'.repeat(200) }) });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ conversationId: a.conversationId, title: '가'.repeat(200) });
    const over = await req('mina', 'PATCH', `/conversations/${a.conversationId}`, { body: JSON.stringify({ title: '가'.repeat(201) }) });
    expect(over.status).toBe(400);
    expect((await req('mina', 'PATCH', `/conversations/${a.conversationId}`, { body: 'nope' })).status).toBe(400);
    expect((await req('mina', 'GET', `/conversations/${a.conversationId}`)).body.title).toBe('가'.repeat(200));
  });

  test("user B cannot read, page, rename or delete user A's conversation: 404 every time, and A's data is intact", async () => {
    const a = await converse('alice', '비밀 대화');
    const paths: Array<[string, string, string?]> = [
      ['GET', `/conversations/${a.conversationId}`],
      ['GET', `/conversations/${a.conversationId}/messages`],
      ['PATCH', `/conversations/${a.conversationId}`, JSON.stringify({ title: 'hacked' })],
      ['DELETE', `/conversations/${a.conversationId}`],
    ];
    for (const [method, path, body] of paths) {
      const r = await req('mallory', method, path, { body });
      expect([method, r.status, r.body.code]).toEqual([method, 404, 'NOT_FOUND']);
    }
    expect((await req('mallory', 'GET', '/conversations')).body.items).toEqual([]);
    const mine = await req('alice', 'GET', `/conversations/${a.conversationId}/messages`);
    expect(mine.body.items.map((m: any) => m.text)).toEqual(['비밀 대화', '답: 비밀 대화']);
    expect((await req('alice', 'GET', `/conversations/${a.conversationId}`)).body.title).not.toBe('hacked');
    // A's cursor is useless to B.
    const aliceList = await req('alice', 'GET', '/conversations', { query: { limit: '1' } });
    await converse('alice', '하나 더');
    const again = await req('alice', 'GET', '/conversations', { query: { limit: '1' } });
    expect((await req('mallory', 'GET', '/conversations', { query: { cursor: again.body.nextCursor ?? aliceList.body.nextCursor } })).status).toBe(400);
  });

  test('a tampered cursor in the caller\'s own partition is 400, not a server error', async () => {
    const a = await converse('tae', '커서');
    await converse('tae', '커서 둘', a.conversationId);
    const path = `/conversations/${a.conversationId}/messages`;
    const p1 = await req('tae', 'GET', path, { query: { limit: '1' } });
    const key = JSON.parse(Buffer.from(p1.body.nextCursor, 'base64url').toString('utf8'));
    const forge = (k: unknown) => Buffer.from(JSON.stringify(k)).toString('base64url');
    const tampered = [
      { pk: key.pk }, // no sort key
      { ...key, sk: 'I#someone-elses-claim' }, // outside the messages of this conversation
      { ...key, extra: 'x' },
      [key.pk, key.sk],
    ];
    for (const k of tampered) {
      const r = await req('tae', 'GET', path, { query: { cursor: forge(k) } });
      expect([k, r.status, r.body.code]).toEqual([k, 400, 'BAD_REQUEST']);
    }
    const l1 = await req('tae', 'GET', '/conversations', { query: { limit: '1' } });
    await converse('tae', '또 하나');
    const list = JSON.parse(Buffer.from((await req('tae', 'GET', '/conversations', { query: { limit: '1' } })).body.nextCursor ?? l1.body.nextCursor, 'base64url').toString('utf8'));
    for (const k of [{ ...list, sk: undefined }, { ...list, gsi1sk: 5 }, { ...list, sk: 'I#x' }]) {
      const r = await req('tae', 'GET', '/conversations', { query: { cursor: forge(k) } });
      expect([k, r.status]).toEqual([k, 400]);
    }
    // The real cursor still works.
    expect((await req('tae', 'GET', path, { query: { limit: '1', cursor: p1.body.nextCursor } })).body.items.map((m: any) => m.text)).toEqual(['커서 둘']);
  });

  test('without limit a page holds 20 conversations or 50 messages, and the cursor reaches the rest', async () => {
    const t0 = Date.now() - 3_600_000;
    for (let i = 0; i < 21; i++) await em.store.conversations.create('paging', id('conv'), `c${i}`, t0 + i, id('r'), t0);
    const first = await req('paging', 'GET', '/conversations');
    expect(first.body.items).toHaveLength(20);
    const rest = await req('paging', 'GET', '/conversations', { query: { cursor: first.body.nextCursor } });
    expect(rest.body.items.map((c: any) => c.title)).toEqual(['c0']);
    const conversationId = first.body.items[0].conversationId;
    for (let i = 0; i < 26; i++) await em.store.messages.putTurn('paging', { conversationId: conversationId, t: t0 + i, messageId: id('m'), replyId: id('r') }, `m${i}`);
    const newest = await req('paging', 'GET', `/conversations/${conversationId}/messages`);
    expect(newest.body.items).toHaveLength(50);
    const older = await req('paging', 'GET', `/conversations/${conversationId}/messages`, { query: { cursor: newest.body.nextCursor } });
    expect(older.body.items.map((m: any) => m.text)).toEqual(['m0', '']);
  });

  test('no verified identity is 401', async () => {
    expect((await req(undefined, 'GET', '/conversations')).status).toBe(401);
  });

  test('delete removes the conversation and every item of it, in batches (62 messages)', async () => {
    const a = await converse('sora', '지울 대화');
    // Older turns stored as before the tree (no parentId): a conversation of them reads linearly.
    const t0 = Date.now() - 1_000_000;
    await untree('sora', a.conversationId);
    for (let i = 0; i < 30; i++) await em.store.messages.putTurn('sora', { conversationId: a.conversationId, t: t0 + i, messageId: id('m'), replyId: id('r') }, `old ${i}`);
    const before = await req('sora', 'GET', `/conversations/${a.conversationId}/messages`, { query: { limit: '100' } });
    expect(before.body.items).toHaveLength(62);
    const r = await req('sora', 'DELETE', `/conversations/${a.conversationId}`);
    expect(r.status).toBe(204);
    expect((await req('sora', 'GET', `/conversations/${a.conversationId}`)).status).toBe(404);
    expect((await req('sora', 'GET', '/conversations')).body.items).toEqual([]);
    const doc = createDocumentClient(awsFromEnv(em.env));
    const left = await doc.send(new QueryCommand({ TableName: em.env.TABLE_NAME, KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': 'U#sora' } }));
    // Only the rate counter of this minute is left: no claims, no reply pointers.
    expect((left.Items ?? []).map((i) => i.sk.slice(0, 2))).toEqual(['L#']);
    // And no message item is left in the conversation's own partition.
    const messages = await doc.send(new QueryCommand({ TableName: em.env.TABLE_NAME, KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': `C#sora#${a.conversationId}` } }));
    expect(messages.Items).toEqual([]);
    doc.destroy();
  });

  test('a reply whose generator died long ago reads as interrupted', async () => {
    const a = await converse('yuna', '살아 있니');
    const t = Date.now() - 10 * 60_000;
    await untree('yuna', a.conversationId);
    const replyId = id('r');
    await em.store.messages.putTurn('yuna', { conversationId: a.conversationId, t: t, messageId: id('m'), replyId: replyId }, '옛 질문');
    const page = await req('yuna', 'GET', `/conversations/${a.conversationId}/messages`);
    expect(page.body.items.find((m: any) => m.messageId === replyId).status).toBe('interrupted');
  });
});
