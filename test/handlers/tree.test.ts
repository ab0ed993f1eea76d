import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { buildSendFrames, MAX_VERSIONS } from '../../src/contract/protocol';
import * as K from '../../src/core/store/item-keys';
import { handler as chat } from '../../src/handlers/chat.lambda';
import { handler as history } from '../../src/handlers/history.lambda';
import type { BrainRequest } from '../../src/local/model/brain';
import { chatService, Emulators, id, outbox, startEmulators, wsEvent } from '../support/harness';

// The conversation tree (docs/PROTOCOL.md §13) through the real handlers: dynalite, the
// @connections endpoint and the model server, which records every request it gets.

let em: Emulators;
beforeAll(async () => { em = await startEmulators(); });
afterAll(async () => { await em.close(); });

function req(user: string, method: string, path: string, body?: string) {
  const url = new URL(`http://x/api${path}`);
  return history({
    rawPath: url.pathname,
    queryStringParameters: Object.fromEntries(url.searchParams),
    body,
    isBase64Encoded: false,
    requestContext: { http: { method }, authorizer: { jwt: { claims: { sub: user }, scopes: [] } } },
  } as any).then((r) => ({ status: r.statusCode, body: r.body ? JSON.parse(r.body) : undefined }));
}

/** The model answers each request with a text naming what it was asked, so every reply differs. */
let answers = 0;
function answering() {
  em.brain.script = { tokens: (r: BrainRequest) => [`A${++answers}(${lastText(r)})`] };
}
const lastText = (r: BrainRequest) => r.messages[r.messages.length - 1].content.map((c) => c.text ?? '').join('');
/** What the model saw of the newest streaming request: role:text, oldest first. */
function lastModelRequest(): string[] {
  const r = em.brain.requests.filter((q) => q.streaming).at(-1)!;
  return r.messages.map((m) => `${m.role}:${m.content.map((c) => c.text ?? '').join('')}`);
}

async function frame(user: string, routeKey: string, body: object) {
  const conn = id('conn');
  await chat(wsEvent(routeKey, user, conn, JSON.stringify({ action: routeKey, ...body })));
  return em.sink.frames(conn);
}
async function send(user: string, text: string, extra: object = {}) {
  const frames = await frame(user, 'sendMessage', { messageId: id('msg'), text, ...extra });
  expect(frames[0]).toMatchObject({ type: 'accepted' });
  expect(frames.at(-1)?.type === 'done' || frames.at(-1)?.type === 'title').toBe(true);
  return { accepted: frames[0], text: frames.filter((f) => f.type === 'delta').map((f) => f.text).join('') };
}
async function regenerate(user: string, conversationId: string, userMessageId: string, messageId = id('rgn')) {
  return frame(user, 'regenerate', { messageId, conversationId, userMessageId });
}
async function page(user: string, conversationId: string, query = '') {
  const r = await req(user, 'GET', `/conversations/${conversationId}/messages${query}`);
  expect(r.status).toBe(200);
  return r.body as { items: any[]; nextCursor?: string };
}
const texts = (items: any[]) => items.map((m) => m.text);

describe('conversation tree', () => {
  test('edit turn 2 of 5, regenerate the last answer twice, switch versions: the next turn sees exactly the active path', async () => {
    answering();
    const first = await send('alice', 'q1');
    const c = first.accepted.conversationId;
    const turns = [first];
    for (const q of ['q2', 'q3', 'q4', 'q5']) turns.push(await send('alice', q, { conversationId: c }));
    expect(texts((await page('alice', c)).items)).toHaveLength(10);

    // Edit turn 2: a sibling of q2 after the reply to q1.
    const edit = await send('alice', 'q2-edited', { conversationId: c, parentId: first.accepted.replyId });
    expect(lastModelRequest()).toEqual(['user:q1', `assistant:${first.text}`, 'user:q2-edited']);
    let items = (await page('alice', c)).items;
    expect(texts(items)).toEqual(['q1', first.text, 'q2-edited', edit.text]);
    expect(items[2]).toMatchObject({
      parentId: first.accepted.replyId,
      versions: { ids: [turns[1].accepted.messageId, edit.accepted.messageId], index: 1 },
    });
    expect(items[0]).toMatchObject({ parentId: c });
    expect(items[0].versions).toBeUndefined();

    // Regenerate its answer twice.
    const r1 = await regenerate('alice', c, edit.accepted.messageId);
    expect(r1[0]).toMatchObject({ type: 'accepted', conversationId: c });
    expect(r1.at(-1)).toMatchObject({ type: 'done', replyId: r1[0].replyId });
    expect(lastModelRequest()).toEqual(['user:q1', `assistant:${first.text}`, 'user:q2-edited']);
    const r2 = await regenerate('alice', c, edit.accepted.messageId);
    items = (await page('alice', c)).items;
    expect(items.map((m) => m.messageId)).toEqual([first.accepted.messageId, first.accepted.replyId, edit.accepted.messageId, r2[0].replyId]);
    expect(items[3].versions).toEqual({ ids: [edit.accepted.replyId, r1[0].replyId, r2[0].replyId], index: 2 });

    // Switch back to the first answer of the edit: the path ends there.
    let put = await req('alice', 'PUT', `/conversations/${c}/active`, JSON.stringify({ messageId: r1[0].replyId }));
    expect(put).toEqual({ status: 200, body: { activeLeafId: r1[0].replyId } });
    // Idempotent.
    put = await req('alice', 'PUT', `/conversations/${c}/active`, JSON.stringify({ messageId: r1[0].replyId }));
    expect(put).toEqual({ status: 200, body: { activeLeafId: r1[0].replyId } });
    const r1Text = r1.filter((f) => f.type === 'delta').map((f) => f.text).join('');
    expect(texts((await page('alice', c)).items)).toEqual(['q1', first.text, 'q2-edited', r1Text]);

    // Switch to the original q2: the path goes down its branch to q5's answer.
    put = await req('alice', 'PUT', `/conversations/${c}/active`, JSON.stringify({ messageId: turns[1].accepted.messageId }));
    expect(put.body).toEqual({ activeLeafId: turns[4].accepted.replyId });
    expect((await page('alice', c)).items.map((m) => m.messageId).at(-1)).toBe(turns[4].accepted.replyId);

    // Back to the edited branch: it remembers the regenerated answer chosen there.
    put = await req('alice', 'PUT', `/conversations/${c}/active`, JSON.stringify({ messageId: edit.accepted.messageId }));
    expect(put.body).toEqual({ activeLeafId: r1[0].replyId });

    // The next turn follows the active leaf and the model sees exactly the active path.
    const next = await send('alice', 'q3-after', { conversationId: c });
    expect(lastModelRequest()).toEqual(['user:q1', `assistant:${first.text}`, 'user:q2-edited', `assistant:${r1Text}`, 'user:q3-after']);
    items = (await page('alice', c)).items;
    expect(texts(items)).toEqual(['q1', first.text, 'q2-edited', r1Text, 'q3-after', next.text]);

    // Paging the active path: pages of 2, newest first, oldest first inside a page.
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const p = await page('alice', c, `?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      seen.unshift(...texts(p.items));
      cursor = p.nextCursor;
    } while (cursor);
    expect(seen).toEqual(texts(items));
  });

  test('two regenerates of one answer at once: one accepted, the other BUSY, nothing duplicated; a resend is answered the same', async () => {
    answering();
    const first = await send('bob', 'hello');
    const c = first.accepted.conversationId;
    // The first regenerate's model stream waits until the second was answered.
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    em.brain.script = { tokens: ['held', ' answer'], firstTokenDelayMs: 0 };
    const held = id('rgn');
    const conn = id('conn');
    const waitingModel = em.brain.requests.length;
    const originalConverse = em.brain.converse.bind(em.brain);
    em.brain.converse = async (request, signal) => {
      const stream = await originalConverse(request, signal);
      if (request.streaming) await gate;
      return stream;
    };
    const running = chat(wsEvent('regenerate', 'bob', conn, JSON.stringify({ action: 'regenerate', messageId: held, conversationId: c, userMessageId: first.accepted.messageId })));
    await em.sink.waitFor((f, k) => k === conn && f.type === 'accepted');
    for (let i = 0; i < 100 && em.brain.requests.length === waitingModel; i++) await new Promise((r) => setTimeout(r, 10));
    const other = await regenerate('bob', c, first.accepted.messageId);
    expect(other).toEqual([expect.objectContaining({ type: 'error', code: 'BUSY', retryable: true })]);
    // A switch while it generates: 409.
    const put = await req('bob', 'PUT', `/conversations/${c}/active`, JSON.stringify({ messageId: first.accepted.replyId }));
    expect(put).toMatchObject({ status: 409, body: { code: 'BUSY' } });
    release();
    await running;
    em.brain.converse = originalConverse;
    const frames = em.sink.frames(conn);
    expect(frames.at(-1)).toMatchObject({ type: 'done' });
    // The resend of the accepted regenerate: the same accepted, no second reply.
    const again = await regenerate('bob', c, first.accepted.messageId, held);
    expect(again).toEqual([frames[0]]);
    const items = (await page('bob', c)).items;
    expect(items).toHaveLength(2);
    expect(items[1].versions).toEqual({ ids: [first.accepted.replyId, frames[0].replyId], index: 1 });
  });

  test("another user's conversation, parentId or userMessageId is NOT_FOUND / 404, and nothing is stored", async () => {
    answering();
    const mine = await send('carol', 'mine');
    const theirs = await send('dave', 'theirs');
    const c = mine.accepted.conversationId;
    // dave's ids in carol's conversation
    let f = await frame('carol', 'sendMessage', { messageId: id('msg'), text: 'x', conversationId: c, parentId: theirs.accepted.replyId });
    expect(f).toEqual([expect.objectContaining({ type: 'error', code: 'NOT_FOUND' })]);
    f = await regenerate('carol', c, theirs.accepted.messageId);
    expect(f).toEqual([expect.objectContaining({ type: 'error', code: 'NOT_FOUND' })]);
    // carol's conversation by dave
    f = await regenerate('dave', c, mine.accepted.messageId);
    expect(f).toEqual([expect.objectContaining({ type: 'error', code: 'NOT_FOUND' })]);
    f = await frame('dave', 'sendMessage', { messageId: id('msg'), text: 'x', conversationId: c, parentId: mine.accepted.replyId });
    expect(f).toEqual([expect.objectContaining({ type: 'error', code: 'NOT_FOUND' })]);
    // A user message as a parent, a reply as the message to regenerate
    f = await frame('carol', 'sendMessage', { messageId: id('msg'), text: 'x', conversationId: c, parentId: mine.accepted.messageId });
    expect(f).toEqual([expect.objectContaining({ type: 'error', code: 'NOT_FOUND' })]);
    f = await regenerate('carol', c, mine.accepted.replyId);
    expect(f).toEqual([expect.objectContaining({ type: 'error', code: 'NOT_FOUND' })]);
    expect((await req('dave', 'PUT', `/conversations/${c}/active`, JSON.stringify({ messageId: mine.accepted.replyId }))).status).toBe(404);
    expect((await req('carol', 'PUT', `/conversations/${c}/active`, JSON.stringify({ messageId: theirs.accepted.replyId }))).status).toBe(404);
    expect((await req('carol', 'PUT', `/conversations/${c}/active`, '{"messageId":"no"}')).status).toBe(400);
    expect((await req('carol', 'PUT', `/conversations/${c}/active`, 'nope')).status).toBe(400);
    expect((await page('carol', c)).items.map((m) => m.text)).toEqual(['mine', mine.text]);
  });

  test('an edit of the first message is a sibling under the root; a message has at most MAX_VERSIONS versions', async () => {
    answering();
    const first = await send('erin', 'v0');
    const c = first.accepted.conversationId;
    const edit = await send('erin', 'v1', { conversationId: c, parentId: c });
    expect(lastModelRequest()).toEqual(['user:v1']);
    const items = (await page('erin', c)).items;
    expect(items[0]).toMatchObject({ text: 'v1', parentId: c, versions: { ids: [first.accepted.messageId, edit.accepted.messageId], index: 1 } });
    // Fill the root up to the limit by writing children directly, then one more edit is refused.
    const { doc, env } = em;
    const rootKey = { pk: K.userPk('erin'), sk: K.conversationSk(c) };
    const kids = Array.from({ length: MAX_VERSIONS }, (_, i) => K.messageSk(1000 + i, 'user', `filler-${String(i).padStart(4, '0')}`));
    await doc.send(new PutCommand({
      TableName: env.TABLE_NAME,
      Item: {
        ...(await em.doc.send(new QueryCommand({
          TableName: env.TABLE_NAME, KeyConditionExpression: 'pk = :p AND sk = :s', ExpressionAttributeValues: { ':p': rootKey.pk, ':s': rootKey.sk },
        }))).Items![0],
        kids,
      },
    }));
    const refused = await frame('erin', 'sendMessage', { messageId: id('msg'), text: 'v2', conversationId: c, parentId: c });
    expect(refused).toEqual([expect.objectContaining({ type: 'error', code: 'TOO_LARGE' })]);
  });

  test('a legacy conversation (messages without parentId) still pages, continues, regenerates and edits', async () => {
    answering();
    const user = 'frank';
    const c = id('legacy');
    const t0 = Date.now() - 60_000;
    const { doc, env } = em;
    await em.store.conversations.create(user, c, 'old', t0, 'seed-reply-0000', 0);
    await em.store.conversations.finishLease(user, c, 'seed-reply-0000', t0);
    const pk = K.messagesPk(user, c);
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      const t = t0 + Math.floor(i / 2) * 1000;
      const isUser = i % 2 === 0;
      const mid = `legacy-${isUser ? 'u' : 'r'}-${i}`;
      ids.push(mid);
      await doc.send(new PutCommand({
        TableName: env.TABLE_NAME,
        Item: {
          pk,
          sk: K.messageSk(t, isUser ? 'user' : 'reply', mid),
          messageId: mid,
          role: isUser ? 'user' : 'assistant',
          text: `old${i}`,
          status: 'complete',
          createdAt: new Date(t).toISOString(),
        },
      }));
    }
    let items = (await page(user, c)).items;
    expect(texts(items)).toEqual(['old0', 'old1', 'old2', 'old3', 'old4', 'old5']);
    expect(items.map((m) => m.parentId)).toEqual([c, ...ids.slice(0, 5)]);
    const p1 = await page(user, c, '?limit=4');
    expect(texts(p1.items)).toEqual(['old2', 'old3', 'old4', 'old5']);
    expect(texts((await page(user, c, `?limit=4&cursor=${p1.nextCursor}`)).items)).toEqual(['old0', 'old1']);

    const next = await send(user, 'new', { conversationId: c });
    expect(lastModelRequest()).toEqual(['user:old0', 'assistant:old1', 'user:old2', 'assistant:old3', 'user:old4', 'assistant:old5', 'user:new']);
    // Regenerate a legacy answer: the old one is version 1 of 2.
    const r = await regenerate(user, c, ids[2]);
    expect(r.at(-1)).toMatchObject({ type: 'done' });
    expect(lastModelRequest()).toEqual(['user:old0', 'assistant:old1', 'user:old2']);
    items = (await page(user, c)).items;
    expect(texts(items).slice(0, 3)).toEqual(['old0', 'old1', 'old2']);
    expect(items[3]).toMatchObject({ messageId: r[0].replyId, versions: { ids: [ids[3], r[0].replyId], index: 1 } });
    // Switch back to the legacy answer: the path continues along the legacy messages to the newest turn.
    const put = await req(user, 'PUT', `/conversations/${c}/active`, JSON.stringify({ messageId: ids[3] }));
    expect(put.body).toEqual({ activeLeafId: next.accepted.replyId });
    expect(texts((await page(user, c)).items)).toEqual(['old0', 'old1', 'old2', 'old3', 'old4', 'old5', 'new', next.text]);
    // Edit the legacy first message.
    await send(user, 'new-first', { conversationId: c, parentId: c });
    items = (await page(user, c)).items;
    expect(items[0]).toMatchObject({ text: 'new-first', versions: { ids: [ids[0], items[0].messageId], index: 1 } });
  });

  test('regenerate: its modelId must be allowed, it can be stopped, and it is rate-limited like a message', async () => {
    answering();
    const first = await send('hana', '첫 질문');
    const c = first.accepted.conversationId;
    const u = first.accepted.messageId;
    let f = await frame('hana', 'regenerate', { messageId: id('rgn'), conversationId: c, userMessageId: u, modelId: 'not-a-model-of-this-deployment' });
    expect(f).toEqual([expect.objectContaining({ type: 'error', code: 'BAD_REQUEST' })]);
    f = await frame('hana', 'regenerate', { messageId: id('rgn'), conversationId: c, userMessageId: u, modelId: em.env.MODEL_ID });
    expect(f[0]).toMatchObject({ type: 'accepted', modelId: em.env.MODEL_ID });
    expect((await page('hana', c)).items[1].versions.ids).toHaveLength(2); // the refused one stored nothing

    // Stop a regenerated reply: it ends stopped, with what was streamed.
    em.brain.script = { tokens: Array.from({ length: 400 }, (_, i) => `조각${i} `), intervalMs: 20 };
    const conn = id('conn');
    const running = chat(wsEvent('regenerate', 'hana', conn, JSON.stringify({ action: 'regenerate', messageId: id('rgn'), conversationId: c, userMessageId: u })));
    const delta = await em.sink.waitFor((x, k) => k === conn && x.type === 'delta');
    await chat(wsEvent('stop', 'hana', id('conn'), JSON.stringify({ action: 'stop', replyId: delta.replyId })));
    await running;
    expect(em.sink.frames(conn).at(-1)).toMatchObject({ type: 'done', stopReason: 'stopped' });
    expect((await page('hana', c)).items[1]).toMatchObject({ messageId: delta.replyId, status: 'stopped' });

    // 3 a minute: the first message, one regenerate, then RATE_LIMITED; a resend of the accepted one is not counted.
    answering();
    const limited = chatService(em, undefined, { RATE_LIMIT_PER_MINUTE: '2' });
    try {
      const run = async (body: object) => {
        const k = id('conn');
        await limited.service.handleFrame('ines', JSON.stringify(body), outbox(em, k));
        return em.sink.frames(k);
      };
      const a = await run({ action: 'sendMessage', messageId: id('msg'), text: 'q' });
      const conversationId = a[0].conversationId;
      const rid = id('rgn');
      const r1 = await run({ action: 'regenerate', messageId: rid, conversationId, userMessageId: a[0].messageId });
      expect(r1[0]).toMatchObject({ type: 'accepted' });
      const r2 = await run({ action: 'regenerate', messageId: id('rgn'), conversationId, userMessageId: a[0].messageId });
      expect(r2).toEqual([expect.objectContaining({ type: 'error', code: 'RATE_LIMITED', retryable: true })]);
      expect(await run({ action: 'regenerate', messageId: rid, conversationId, userMessageId: a[0].messageId })).toEqual([r1[0]]);
    } finally { limited.close(); }
  });

  test('a regenerate whose socket is gone mid-reply is still stored whole, and reads over HTTP (resume)', async () => {
    answering();
    const first = await send('kyle', '첫');
    const c = first.accepted.conversationId;
    const all = Array.from({ length: 40 }, (_, i) => `조각${i} `);
    em.brain.script = { tokens: all, intervalMs: 2 };
    const conn = id('conn');
    em.sink.setGone(conn, 3); // accepted + two deltas, then 410
    await chat(wsEvent('regenerate', 'kyle', conn, JSON.stringify({ action: 'regenerate', messageId: id('rgn'), conversationId: c, userMessageId: first.accepted.messageId })));
    const frames = em.sink.frames(conn);
    expect(frames).toHaveLength(3);
    const items = (await page('kyle', c)).items;
    expect(items[1]).toMatchObject({ messageId: frames[0].replyId, status: 'complete', text: all.join('') });
  });

  test('an edit split into parts (16,000 Hangul characters) keeps its parentId and is accepted once', async () => {
    answering();
    const first = await send('jae', 'a');
    const c = first.accepted.conversationId;
    await send('jae', 'b', { conversationId: c });
    const text = '가'.repeat(16_000);
    const frames = buildSendFrames({ messageId: id('msg'), conversationId: c, parentId: first.accepted.replyId, text });
    expect(frames.length).toBeGreaterThan(1);
    const conn = id('conn');
    for (const fr of frames) await chat(wsEvent('sendMessage', 'jae', conn, JSON.stringify(fr)));
    expect(em.sink.frames(conn).filter((x) => x.type === 'accepted')).toHaveLength(1);
    const items = (await page('jae', c)).items;
    expect(items.map((m) => m.text.length)).toEqual([1, first.text.length, 16_000, items[3].text.length]);
    expect(items[2].versions.index).toBe(1);
  });

  test('deleting a conversation removes every branch, its index items and the regenerate claims', async () => {
    answering();
    const first = await send('gina', 'a');
    const c = first.accepted.conversationId;
    await send('gina', 'b', { conversationId: c });
    await send('gina', 'a2', { conversationId: c, parentId: c });
    const rid = id('rgn');
    await regenerate('gina', c, first.accepted.messageId, rid);
    expect((await req('gina', 'DELETE', `/conversations/${c}`)).status).toBe(204);
    const left = await em.doc.send(new QueryCommand({ TableName: em.env.TABLE_NAME, KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': K.messagesPk('gina', c) } }));
    expect(left.Items).toEqual([]);
    expect(await em.store.claims.get('gina', rid)).toBeUndefined();
    expect(await em.store.claims.get('gina', first.accepted.messageId)).toBeUndefined();
  });
});
