import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { MAX_ATTACHMENTS_PER_MESSAGE } from '../../src/contract/attachments';
import { handler as chat } from '../../src/handlers/chat.lambda';
import { Emulators, id, startEmulators, wsEvent } from '../support/harness';

// sendMessage.attachmentIds (docs/PROTOCOL.md §15): checked for shape, and — until the chat handler
// gives attachments to the model — refused with BAD_REQUEST before anything is stored.

let em: Emulators;
beforeAll(async () => { em = await startEmulators(); });
afterAll(async () => { await em.close(); });

async function send(user: string, frame: Record<string, unknown>) {
  const conn = id('conn');
  await chat(wsEvent('sendMessage', user, conn, JSON.stringify({ action: 'sendMessage', messageId: id('msg'), text: '사진 봐 주세요', ...frame })));
  return em.sink.frames(conn);
}

async function itemsOf(user: string) {
  const r = await em.doc.send(new QueryCommand({ TableName: em.env.TABLE_NAME, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': `U#${user}` } }));
  return r.Items ?? [];
}

test('a message naming attachments is refused with its messageId, and nothing is stored', async () => {
  const user = id('att');
  const frames = await send(user, { messageId: 'msg-with-files-1', attachmentIds: [id('a'), id('b')] });
  expect(frames).toEqual([{
    type: 'error',
    code: 'BAD_REQUEST',
    retryable: false,
    messageId: 'msg-with-files-1',
    message: 'This version does not accept attachments in messages yet; send the text alone.',
  }]);
  expect(await itemsOf(user)).toEqual([]);
});

test(`attachmentIds must be up to ${MAX_ATTACHMENTS_PER_MESSAGE} distinct ids; an empty list is no attachment`, async () => {
  const user = id('shape');
  const ids = (n: number) => Array.from({ length: n }, () => id('att'));
  for (const bad of ['x', [123], ['short'], ['same-id-1234', 'same-id-1234'], ids(MAX_ATTACHMENTS_PER_MESSAGE + 1)]) {
    const [frame] = await send(user, { attachmentIds: bad });
    expect(frame).toMatchObject({ type: 'error', code: 'BAD_REQUEST', message: expect.stringContaining('attachmentIds') });
  }
  const [atEdge] = await send(user, { attachmentIds: ids(MAX_ATTACHMENTS_PER_MESSAGE) });
  expect(atEdge).toMatchObject({ type: 'error', code: 'BAD_REQUEST', message: expect.stringContaining('does not accept attachments') });
  expect(await itemsOf(user)).toEqual([]);
  em.brain.script = { tokens: ['네'] };
  const [accepted] = await send(user, { attachmentIds: [] });
  expect(accepted).toMatchObject({ type: 'accepted' });
});
