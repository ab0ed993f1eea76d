/**
 * storeTurn (core/turn.ts) on dynalite: a tree turn's first storing writes the conversation item
 * once (lease, model, leaf, and the root's children for a first message), and stores exactly
 * what the write-by-write path (a `rerun`) stores; its check still removes a turn whose
 * conversation was deleted or taken over between its writes and that check.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { TABLE_SCHEMA } from '../../../src/contract/table-schema';
import { deleteConversation } from '../../../src/core/history';
import type { Store, TurnRef } from '../../../src/core/ports/store';
import type { TurnPlace } from '../../../src/core/ports/tree';
import { ConversationStore } from '../../../src/core/store';
import { messageSk } from '../../../src/core/store/item-keys';
import { placeMessage, placeReply } from '../../../src/core/tree';
import { storeTurn } from '../../../src/core/turn';
import { LOCAL_CREDENTIALS, LOCAL_REGION, startDynamo } from '../../../src/local/dynamo';
import { GatedDoc } from '../../support/gated-doc';
import { id } from '../../support/ids';

const { partitionKey: PK, sortKey: SK } = TABLE_SCHEMA;
const T = 1_800_000_000_000;
const L = 30_000;

let close: () => Promise<void>;
let raw: DynamoDBDocumentClient;
let table: string;
let gated: GatedDoc;
let store: Store;
beforeAll(async () => {
  const db = await startDynamo();
  raw = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: db.endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS }),
    { marshallOptions: { removeUndefinedValues: true } });
  table = db.tableName;
  gated = new GatedDoc(raw);
  store = new ConversationStore(gated.doc, table);
  close = async () => { raw.destroy(); await db.close(); };
});
afterAll(async () => { await close(); });

async function query(pk: string): Promise<Array<Record<string, any>>> {
  const r = await raw.send(new QueryCommand({
    TableName: table, KeyConditionExpression: '#pk = :pk', ExpressionAttributeNames: { '#pk': PK }, ExpressionAttributeValues: { ':pk': pk }, ConsistentRead: true,
  }));
  return r.Items ?? [];
}

/** A conversation's stored state without its user: the conversation item and every item of its partition. */
async function state(user: string, conversationId: string) {
  const strip = (i: Record<string, any>) => { const { [PK]: _pk, gsi1pk: _g, ...rest } = i; return rest; };
  const own = (await query(`U#${user}`)).filter((i) => i[SK] === `C#${conversationId}` || String(i[SK]).startsWith('R#'));
  return { user: own.map(strip), messages: (await query(`C#${user}#${conversationId}`)).map(strip) };
}

/** The UpdateItems sent on the conversation item since `from`. */
const conversationUpdates = (conversationId: string, from: number) => gated.sent.slice(from)
  .filter(({ command }) => command instanceof UpdateCommand && command.input.Key?.[SK] === `C#${conversationId}`);

const tree = () => store.tree!;

/** The turns of one script, stored the same way for two users: once as first storings, once write by write (rerun). */
describe('a tree turn stored in one conversation write', () => {
  const users = { merged: id('merged'), oneByOne: id('onebyone') };
  const conversationId = id('c');
  let turnNo = 0;

  /** Stores the next turn (placed by `place`) for both users; answers the conversation updates each made. */
  async function both(place: (user: string) => Promise<TurnPlace>, modelId = 'model-a') {
    const t = T + 10_000 * ++turnNo;
    const messageId = `m-${turnNo}`;
    const replyId = `r-${turnNo}`;
    const updates: Record<string, number> = {};
    for (const [way, user] of Object.entries(users)) {
      if (turnNo > 1) expect(await store.conversations.acquireLease(user, conversationId, replyId, t, t + L)).not.toBe('busy');
      else expect(await store.conversations.create(user, conversationId, '제목', t, replyId, t + L)).toBe(true);
      const turn: TurnRef = { conversationId, t, messageId, replyId, tree: await place(user), modelId };
      const from = gated.sent.length;
      expect(await storeTurn(store, user, turn, `질문 ${turnNo}`, way === 'oneByOne', () => t)).toEqual({ state: 'ours', leaseUntil: t + L });
      updates[way] = conversationUpdates(conversationId, from).length;
      // Done: the lease is given back for the next turn.
      expect(await store.conversations.finishLease(user, conversationId, replyId, t + 1)).toBe(true);
    }
    expect(await state(users.merged, conversationId)).toEqual(await state(users.oneByOne, conversationId));
    return updates;
  }

  test('a new conversation\'s first turn: one UpdateItem on the conversation (three write by write), the same items', async () => {
    expect(await both(async (user) => placeMessage(tree(), user, conversationId, undefined, true) as Promise<TurnPlace>))
      .toEqual({ merged: 1, oneByOne: 3 });
    const c = await store.conversations.get(users.merged, conversationId);
    expect(c).toMatchObject({ modelId: 'model-a', tree: { leafSk: expect.stringMatching(/#1#r-1$/), kids: [expect.stringMatching(/#0#m-1$/)] } });
    expect(c?.leaseReplyId).toBeUndefined();
  });

  test('a later turn below a reply, a regenerate, and a second root child: one conversation UpdateItem each, the same items', async () => {
    const root = (user: string) => store.conversations.get(user, conversationId).then((c) => c?.tree);
    expect(await both(async (user) => placeMessage(tree(), user, conversationId, await root(user), false) as Promise<TurnPlace>, 'model-b'))
      .toEqual({ merged: 1, oneByOne: 2 });
    expect(await both(async (user) => ((await placeReply(tree(), user, conversationId, 'm-2')) as { place: TurnPlace }).place))
      .toEqual({ merged: 1, oneByOne: 2 });
    expect(await both(async (user) => placeMessage(tree(), user, conversationId, await root(user), false, conversationId) as Promise<TurnPlace>))
      .toEqual({ merged: 1, oneByOne: 3 });
    const c = await store.conversations.get(users.merged, conversationId);
    expect(c?.tree?.kids).toEqual([expect.stringMatching(/#0#m-1$/), expect.stringMatching(/#0#m-4$/)]);
    expect(c?.tree?.leafSk).toMatch(/#1#r-4$/);
    expect(c?.modelId).toBe('model-a');
  });
});

/** A new conversation leased to its first reply, and that turn's ref. */
async function newConversation(user: string): Promise<TurnRef> {
  const conversationId = id('c');
  const replyId = id('r');
  expect(await store.conversations.create(user, conversationId, '제목', T, replyId, T + L)).toBe(true);
  const place = await placeMessage(tree(), user, conversationId, undefined, true) as TurnPlace;
  const turn: TurnRef = { conversationId, t: T, messageId: id('m'), replyId, tree: place, modelId: 'model-a' };
  expect(await store.claims.put(user, turn.messageId, { conversationId, replyId, t: T, text: '질문' }, T)).toBe(true);
  return turn;
}

/** The turn's last write (W): the conditional put of its empty streaming reply. */
const replyPut = (turn: TurnRef) => (command: any) => command.input?.Item?.messageId === turn.replyId && command.input.Item.status === 'streaming';

describe('the merged write is still the turn\'s check', () => {
  test('a conversation deleted between the turn\'s writes and its check: gone, and nothing of it is left', async () => {
    const user = id('deleted');
    const turn = await newConversation(user);
    gated.arm(replyPut(turn), 'after');
    const storing = storeTurn(store, user, turn, '질문', false, () => T);
    await gated.reached();
    expect(await deleteConversation(new ConversationStore(raw, table), user, turn.conversationId)).toBe(true);
    gated.release();
    expect(await storing).toEqual({ state: 'gone' });
    expect(await query(`C#${user}#${turn.conversationId}`)).toEqual([]);
    expect((await query(`U#${user}`)).map((i) => i[SK])).toEqual([]);
  });

  test.each([
    ['a new conversation\'s first turn (the root holds it)', false],
    ['a later turn (a reply holds it)', true],
  ])('%s finding another reply holding the lease: taken, its items removed, the tree as it was', async (_name, later) => {
    const user = id('taken');
    let turn = await newConversation(user);
    if (later) {
      expect(await storeTurn(store, user, turn, '질문', false, () => T)).toMatchObject({ state: 'ours' });
      const t = T + 10_000;
      const replyId = id('r');
      expect(await store.conversations.acquireLease(user, turn.conversationId, replyId, t + L, t + 2 * L)).not.toBe('busy');
      const root = (await store.conversations.get(user, turn.conversationId))?.tree;
      turn = { ...turn, t, messageId: id('m'), replyId, tree: await placeMessage(tree(), user, turn.conversationId, root, false) as TurnPlace };
    }
    const before = await state(user, turn.conversationId);
    gated.arm(replyPut(turn), 'after');
    const storing = storeTurn(store, user, turn, '질문', false, () => T);
    await gated.reached();
    await raw.send(new UpdateCommand({
      TableName: table,
      Key: { [PK]: `U#${user}`, [SK]: `C#${turn.conversationId}` },
      UpdateExpression: 'SET leaseReplyId = :o',
      ExpressionAttributeValues: { ':o': 'another-reply' },
    }));
    gated.release();
    expect(await storing).toEqual({ state: 'taken' });
    const after = await state(user, turn.conversationId);
    const lease = (s: typeof before) => s.user.map((i) => (i[SK] === `C#${turn.conversationId}` ? { ...i, leaseReplyId: 'another-reply' } : i));
    expect(after).toEqual({ user: lease(before), messages: before.messages });
    expect((await query(`U#${user}`)).filter((i) => i[SK] === `I#${turn.messageId}`)).toEqual([]);
  });

  test('a first storing that finds its child listed already (lease still its own) finishes write by write, listing it once', async () => {
    const user = id('listed');
    const turn = await newConversation(user);
    const userSk = messageSk(T, 'user', turn.messageId);
    await tree().link(user, turn.conversationId, undefined, userSk, []);
    expect(await storeTurn(store, user, turn, '질문', false, () => T)).toEqual({ state: 'ours', leaseUntil: T + L });
    expect(await store.conversations.get(user, turn.conversationId)).toMatchObject({
      leaseReplyId: turn.replyId, leaseUntil: T + L, modelId: 'model-a', tree: { kids: [userSk], kidActive: userSk, leafSk: expect.stringMatching(new RegExp(`#1#${turn.replyId}$`)) },
    });
  });
});
