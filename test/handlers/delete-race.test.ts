import { QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { awsFromEnv } from '../../src/contract/env';
import { TABLE_SCHEMA } from '../../src/contract/table-schema';
import { BedrockModel } from '../../src/core/adapters/bedrock-model';
import { createBedrockClient } from '../../src/core/aws';
import { ChatService } from '../../src/core/chat';
import { chatConfigFromEnv } from '../../src/core/config';
import { silentTelemetry } from '../../src/core/ports/telemetry';
import { ConversationStore } from '../../src/core/store';
import { createChatHandler } from '../../src/handlers/chat';
import { handler as history } from '../../src/handlers/history.lambda';
import { GatedDoc, GateWhen } from '../support/gated-doc';
import { Emulators, id, outbox, startEmulators, wsEvent } from '../support/harness';

// Deleting a conversation must win over a message being accepted into it at the same moment
// (issue 14.1): whichever way the delete and the turn's writes interleave, no item of the
// conversation survives and the sender is told NOT_FOUND. The interleaving is made certain by
// holding one of the turn's real DynamoDB requests until the delete answered 204.

const { partitionKey: PK, sortKey: SK } = TABLE_SCHEMA;

let em: Emulators;
let gated: GatedDoc;
let chat: ReturnType<typeof createChatHandler>;
let closeModel: () => void;
beforeAll(async () => {
  em = await startEmulators();
  gated = new GatedDoc(em.doc);
  const bedrock = createBedrockClient(awsFromEnv(em.env));
  closeModel = () => bedrock.destroy();
  const service = new ChatService({
    config: chatConfigFromEnv(em.env), store: new ConversationStore(gated.doc, em.env.TABLE_NAME), model: new BedrockModel(bedrock),
  });
  chat = createChatHandler({ service, outbox: (t) => outbox(em, t.connectionId), telemetry: silentTelemetry });
});
afterAll(async () => { closeModel(); await em.close(); });

const send = (user: string, conn: string, frame: object) => chat(wsEvent('sendMessage', user, conn, JSON.stringify({ action: 'sendMessage', ...frame })));

function req(user: string, method: string, path: string) {
  return history({
    rawPath: `/api${path}`,
    isBase64Encoded: false,
    requestContext: { http: { method }, authorizer: { jwt: { claims: { sub: user }, scopes: [] } } },
  } as any).then((r) => r.statusCode);
}

async function query(pk: string): Promise<Array<Record<string, any>>> {
  const r = await em.doc.send(new QueryCommand({
    TableName: em.env.TABLE_NAME,
    KeyConditionExpression: '#pk = :pk',
    ExpressionAttributeNames: { '#pk': PK },
    ExpressionAttributeValues: { ':pk': pk },
    ConsistentRead: true,
  }));
  return r.Items ?? [];
}

/** The turn's first write: the batch with the user message (and the reply's pointer). */
const turnBatch = (text: string) => (command: any) => Object.values(command.input?.RequestItems ?? {})
  .some((requests: any) => Array.isArray(requests) && requests.some((r: any) => r.PutRequest?.Item?.role === 'user' && r.PutRequest.Item.text === text));
/** The turn's last write: the conditional put of the empty streaming reply. */
const replyPut = () => (command: any) => command.input?.Item?.role === 'assistant' && command.input.Item.status === 'streaming';

describe('deleting a conversation while a message is being accepted into it', () => {
  test.each<[string, (text: string) => (command: any) => boolean, GateWhen]>([
    ['before the turn write lands', turnBatch, 'before'],
    ["between the turn's user message and its reply", replyPut, 'before'],
    ['after the turn write landed, before it was accepted', replyPut, 'after'],
  ])('deleted %s: NOT_FOUND for the sender and no item of the conversation survives', async (_name, match, when) => {
    const user = id('deleter');
    em.brain.script = { tokens: ['첫 답'] };
    const first = id('conn');
    await send(user, first, { messageId: id('msg'), text: '첫 질문' });
    const { conversationId } = em.sink.frames(first)[0];
    expect(em.sink.frames(first).map((f) => f.type)).toContain('done');

    em.brain.script = { tokens: Array.from({ length: 50 }, (_, i) => `조각${i} `), intervalMs: 5 };
    const modelCalls = em.brain.requests.filter((r) => r.streaming).length;
    const text = '지워질 대화에 보내는 질문';
    gated.arm(match(text), when);
    const conn = id('conn');
    const messageId = id('msg');
    const sending = send(user, conn, { messageId, text, conversationId });
    await gated.reached();
    expect(await req(user, 'DELETE', `/conversations/${conversationId}`)).toBe(204);
    gated.release();
    await sending;

    // Refused like a message to a missing conversation: one error, never accepted, no model call.
    expect(em.sink.frames(conn)).toEqual([{ type: 'error', code: 'NOT_FOUND', message: expect.any(String), retryable: false, messageId }]);
    expect(em.brain.requests.filter((r) => r.streaming).length).toBe(modelCalls);
    // Nothing of it is left: no message in its partition, no conversation, claim or reply pointer
    // among the user's items (only the rate counters, which are the user's, not the conversation's).
    expect(await query(`C#${user}#${conversationId}`)).toEqual([]);
    expect((await query(`U#${user}`)).map((i) => i[SK]).filter((sk: string) => !sk.startsWith('L#'))).toEqual([]);
    expect(await req(user, 'GET', `/conversations/${conversationId}`)).toBe(404);
    expect(await req(user, 'GET', `/conversations/${conversationId}/messages`)).toBe(404);
  });

  test('a turn that finds another reply holding the lease when it is verified is refused BUSY and removes itself', async () => {
    const user = id('overtaken');
    em.brain.script = { tokens: ['첫 답'] };
    const first = id('conn');
    await send(user, first, { messageId: id('msg'), text: '첫 질문' });
    const { conversationId } = em.sink.frames(first)[0];
    const before = await query(`C#${user}#${conversationId}`);

    gated.arm(replyPut(), 'after');
    const conn = id('conn');
    const messageId = id('msg');
    const sending = send(user, conn, { messageId, text: '늦은 질문', conversationId });
    await gated.reached();
    // Meanwhile (this turn's lease lapsed) another reply took the conversation.
    await em.doc.send(new UpdateCommand({
      TableName: em.env.TABLE_NAME,
      Key: { [PK]: `U#${user}`, [SK]: `C#${conversationId}` },
      UpdateExpression: 'SET leaseReplyId = :o',
      ExpressionAttributeValues: { ':o': 'another-reply' },
    }));
    gated.release();
    await sending;

    expect(em.sink.frames(conn)).toEqual([{ type: 'error', code: 'BUSY', message: expect.any(String), retryable: true, messageId }]);
    // Its own items are gone, the conversation and its earlier turn are untouched.
    expect(await query(`C#${user}#${conversationId}`)).toEqual(before);
    expect((await query(`U#${user}`)).filter((i) => i[SK] === `I#${messageId}`)).toEqual([]);
    expect((await query(`U#${user}`)).filter((i) => String(i[SK]).startsWith('R#'))).toHaveLength(1); // the first turn's pointer
    expect(await em.store.conversations.get(user, conversationId)).toMatchObject({ leaseReplyId: 'another-reply' });
  });
});
