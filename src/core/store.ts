import {
  BatchWriteCommand, DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { iso } from './ids';
import * as K from './keys';
import { CLAIM_TTL_SECONDS, POINTER_TTL_SECONDS } from './limits';
import type { MessageStatus, StopReason, Usage } from '../contract/protocol';
import {
  Claim, ConversationRecord, decodeCursor, encodeCursor, ReplyPointer, StoredMessage, StorePage, toConversation, toMessage,
} from './records';
import { TABLE_SCHEMA } from '../contract/table-schema';

export * from './records';

const { partitionKey: PK, sortKey: SK, ttlAttribute: TTL } = TABLE_SCHEMA;
const EXISTS = { ConditionExpression: 'attribute_exists(#pk)', ExpressionAttributeNames: { '#pk': PK } };
const NEW = { ConditionExpression: 'attribute_not_exists(#pk)', ExpressionAttributeNames: { '#pk': PK } };

/** Runs a conditional write: true when it happened, false when its condition did not hold. */
async function conditional(write: Promise<unknown>): Promise<boolean> {
  try {
    await write;
    return true;
  } catch (err) {
    if ((err as Error)?.name === 'ConditionalCheckFailedException') return false;
    throw err;
  }
}

/**
 * The conversation store: one item per message, conversations listed through the `byUpdated`
 * index, every read a bounded query. Identity is a parameter of every call and part of every
 * key, so another user's ids simply do not exist. Layout: keys.ts.
 */
export class ConversationStore {
  constructor(private readonly doc: DynamoDBDocumentClient, private readonly table: string) {}

  /** The table's client, for the parts and rate-limit helpers that share the table. */
  public get client(): DynamoDBDocumentClient { return this.doc; }
  public get tableName(): string { return this.table; }

  private conversationKey(user: string, conversationId: string) {
    return { [PK]: K.userPk(user), [SK]: K.conversationSk(conversationId) };
  }

  private async getItem(key: Record<string, string>): Promise<Record<string, any> | undefined> {
    return (await this.doc.send(new GetCommand({ TableName: this.table, Key: key, ConsistentRead: true }))).Item;
  }

  public async getConversation(user: string, conversationId: string): Promise<ConversationRecord | undefined> {
    const item = await this.getItem(this.conversationKey(user, conversationId));
    return item ? toConversation(item) : undefined;
  }

  /** Creates a conversation already leased to `replyId`; false if the id exists. */
  public async createConversation(user: string, conversationId: string, title: string, now: number, replyId: string,
    leaseUntil: number): Promise<boolean> {
    const at = iso(now);
    return conditional(this.doc.send(new PutCommand({
      TableName: this.table,
      Item: {
        ...this.conversationKey(user, conversationId),
        conversationId,
        title,
        titleAuto: true,
        createdAt: at,
        updatedAt: at,
        leaseReplyId: replyId,
        leaseUntil,
        [TABLE_SCHEMA.updatedIndex.partitionKey]: K.userPk(user),
        [TABLE_SCHEMA.updatedIndex.sortKey]: K.updatedSortKey(at, conversationId),
      },
      ...NEW,
    })));
  }

  /**
   * Takes the conversation's generation lease: `missing` (no such conversation of this user), `busy`, or `ok`.
   * A lease already held for the same `replyId` is taken again: a resend that finishes a turn whose
   * first invocation failed must not wait out that invocation's lease (reply ids are never reused).
   */
  public async acquireLease(user: string, conversationId: string, replyId: string, now: number, until: number): Promise<'ok' | 'busy' | 'missing'> {
    const taken = await conditional(this.doc.send(new UpdateCommand({
      TableName: this.table,
      Key: this.conversationKey(user, conversationId),
      UpdateExpression: 'SET leaseReplyId = :r, leaseUntil = :u',
      ConditionExpression: 'attribute_exists(#pk) AND (attribute_not_exists(leaseUntil) OR leaseUntil < :now OR leaseReplyId = :r)',
      ExpressionAttributeNames: { '#pk': PK },
      ExpressionAttributeValues: { ':r': replyId, ':u': until, ':now': now },
    })));
    if (taken) return 'ok';
    return (await this.getConversation(user, conversationId)) ? 'busy' : 'missing';
  }

  /** Extends the lease while this reply still holds it. */
  public async renewLease(user: string, conversationId: string, replyId: string, until: number): Promise<boolean> {
    return this.updateIfLeased(user, conversationId, replyId, 'SET leaseUntil = :u', { ':u': until });
  }

  /** Ends the lease and records the conversation's new activity time (and calibration). */
  public async finishLease(user: string, conversationId: string, replyId: string, now: number, calib?: number): Promise<boolean> {
    const at = iso(now);
    const values: Record<string, unknown> = { ':at': at, ':g': K.updatedSortKey(at, conversationId) };
    let set = 'SET updatedAt = :at, #gsk = :g';
    if (calib !== undefined) {
      set += ', calib = :c';
      values[':c'] = calib;
    }
    return this.updateIfLeased(user, conversationId, replyId, `${set} REMOVE leaseUntil, leaseReplyId`, values,
      { '#gsk': TABLE_SCHEMA.updatedIndex.sortKey });
  }

  /** Gives the lease back without recording activity (nothing was generated). */
  public async releaseLease(user: string, conversationId: string, replyId: string): Promise<boolean> {
    return this.updateIfLeased(user, conversationId, replyId, 'REMOVE leaseUntil, leaseReplyId', {});
  }

  /** Removes an empty conversation this call created and then did not use (lost an idempotency race). */
  public async dropNewConversation(user: string, conversationId: string, replyId: string): Promise<void> {
    await conditional(this.doc.send(new DeleteCommand({
      TableName: this.table,
      Key: this.conversationKey(user, conversationId),
      ConditionExpression: 'leaseReplyId = :me',
      ExpressionAttributeValues: { ':me': replyId },
    })));
  }

  private async updateIfLeased(user: string, conversationId: string, replyId: string, update: string,
    values: Record<string, unknown>, names: Record<string, string> = {}): Promise<boolean> {
    return conditional(this.doc.send(new UpdateCommand({
      TableName: this.table,
      Key: this.conversationKey(user, conversationId),
      UpdateExpression: update,
      ConditionExpression: 'leaseReplyId = :me',
      ExpressionAttributeValues: { ...values, ':me': replyId },
      ...(Object.keys(names).length ? { ExpressionAttributeNames: names } : {}),
    })));
  }

  /** Conditional put on the message id: true when this call made the claim, false when it existed. */
  public async claimMessage(user: string, messageId: string, claim: Claim, nowSeconds: number): Promise<boolean> {
    return conditional(this.doc.send(new PutCommand({
      TableName: this.table,
      Item: { [PK]: K.userPk(user), [SK]: K.claimSk(messageId), ...claim, [TTL]: nowSeconds + CLAIM_TTL_SECONDS },
      ...NEW,
    })));
  }

  public async getClaim(user: string, messageId: string): Promise<Claim | undefined> {
    const item = await this.getItem({ [PK]: K.userPk(user), [SK]: K.claimSk(messageId) });
    if (!item) return undefined;
    return { conversationId: item.conversationId, replyId: item.replyId, t: item.t, text: item.text, created: item.created === true };
  }

  /** Whether the reply a claim promised was stored (the turn's last write, see putTurn). */
  public async hasReply(user: string, claim: Claim): Promise<boolean> {
    return (await this.getItem({ [PK]: K.messagesPk(user, claim.conversationId), [SK]: K.messageSk(claim.t, 1, claim.replyId) })) !== undefined;
  }

  /**
   * Stores a claimed turn: the user message and the reply's pointer (stop flag), then the empty
   * `streaming` reply. Every key comes from the claim (`t`, ids), so any invocation holding the
   * claim may run this again after a failure or a crash between the writes. The reply goes last,
   * with a conditional put: the one call that creates it generates (true); every other call sees
   * it exists and starts nothing (false). The claiming call writes the first two in one batch;
   * a `rerun` (a resend finishing the turn) puts each only where it is missing, so it never
   * overwrites what a still-running first call wrote (a stop already requested). The reverse
   * window remains: a first call whose batch is still being retried after a resend has finished
   * the turn and the user pressed stop rewrites the pointer and loses that stop (never a message).
   */
  public async putTurn(user: string, conversationId: string, t: number, messageId: string, text: string, replyId: string,
    rerun = false): Promise<boolean> {
    const pk = K.messagesPk(user, conversationId);
    const createdAt = iso(t);
    const replySk = K.messageSk(t, 1, replyId);
    const first = [
      { [PK]: pk, [SK]: K.messageSk(t, 0, messageId), messageId, role: 'user', text, status: 'complete', createdAt },
      {
        [PK]: K.userPk(user),
        [SK]: K.replyPointerSk(replyId),
        conversationId,
        replySk,
        stopRequested: false,
        [TTL]: Math.floor(t / 1000) + POINTER_TTL_SECONDS,
      },
    ];
    if (rerun) {
      for (const Item of first) await conditional(this.doc.send(new PutCommand({ TableName: this.table, Item, ...NEW })));
    } else {
      await this.batchWrite(first.map((Item) => ({ PutRequest: { Item } })));
    }
    return conditional(this.doc.send(new PutCommand({
      TableName: this.table,
      Item: {
        [PK]: pk,
        [SK]: replySk,
        messageId: replyId,
        role: 'assistant',
        text: '',
        status: 'streaming',
        createdAt,
        checkpointAt: t,
        userMessageId: messageId,
      },
      ...NEW,
    })));
  }

  /**
   * Stores the reply text so far (`undefined`: unchanged, only the time, so a silent but live
   * generator never reads as `interrupted`); false when the reply no longer exists (conversation deleted).
   */
  public async checkpointReply(user: string, conversationId: string, replySk: string, text: string | undefined, now: number): Promise<boolean> {
    if (text === undefined) return this.updateReply(user, conversationId, replySk, 'SET checkpointAt = :c', { ':c': now }, {}, false);
    return this.updateReply(user, conversationId, replySk, 'SET #t = :t, checkpointAt = :c', { ':t': text, ':c': now });
  }

  /** Stores the final text, status, stop reason and usage of a reply. */
  public async finishReply(user: string, conversationId: string, replySk: string,
    final: { text: string; status: MessageStatus; stopReason?: StopReason; usage?: Usage }, now: number): Promise<boolean> {
    const values: Record<string, unknown> = { ':t': final.text, ':s': final.status, ':c': now };
    const names: Record<string, string> = { '#s': 'status' };
    let set = 'SET #t = :t, #s = :s, checkpointAt = :c';
    if (final.stopReason) {
      set += ', stopReason = :r';
      values[':r'] = final.stopReason;
    }
    if (final.usage) {
      set += ', #u = :u';
      values[':u'] = final.usage;
      names['#u'] = 'usage';
    }
    return this.updateReply(user, conversationId, replySk, set, values, names);
  }

  private async updateReply(user: string, conversationId: string, replySk: string, update: string,
    values: Record<string, unknown>, names: Record<string, string> = {}, setsText = true): Promise<boolean> {
    return conditional(this.doc.send(new UpdateCommand({
      TableName: this.table,
      Key: { [PK]: K.messagesPk(user, conversationId), [SK]: replySk },
      UpdateExpression: update,
      // Never recreate a reply deleted with its conversation while the generator ran.
      ConditionExpression: 'attribute_exists(#pk)',
      ExpressionAttributeNames: { '#pk': PK, ...(setsText ? { '#t': 'text' } : {}), ...names },
      ExpressionAttributeValues: values,
    })));
  }

  public async getReplyPointer(user: string, replyId: string): Promise<ReplyPointer | undefined> {
    const item = await this.getItem({ [PK]: K.userPk(user), [SK]: K.replyPointerSk(replyId) });
    return item ? { conversationId: item.conversationId, sk: item.replySk, stopRequested: item.stopRequested === true } : undefined;
  }

  /** Sets the stop flag of this user's reply; false when there is no such reply of this user. */
  public async requestStop(user: string, replyId: string): Promise<boolean> {
    return conditional(this.doc.send(new UpdateCommand({
      TableName: this.table,
      Key: { [PK]: K.userPk(user), [SK]: K.replyPointerSk(replyId) },
      UpdateExpression: 'SET stopRequested = :t',
      ExpressionAttributeValues: { ':t': true },
      ...EXISTS,
    })));
  }

  /** The model title replaces only an automatic title (never a user's rename). */
  public async setGeneratedTitle(user: string, conversationId: string, title: string): Promise<boolean> {
    return conditional(this.doc.send(new UpdateCommand({
      TableName: this.table,
      Key: this.conversationKey(user, conversationId),
      UpdateExpression: 'SET title = :t, titleAuto = :f',
      ConditionExpression: 'attribute_exists(#pk) AND titleAuto = :true',
      ExpressionAttributeNames: { '#pk': PK },
      ExpressionAttributeValues: { ':t': title, ':f': false, ':true': true },
    })));
  }

  /** A user's rename; undefined when the conversation is not theirs. */
  public async rename(user: string, conversationId: string, title: string): Promise<ConversationRecord | undefined> {
    let attributes: Record<string, any> | undefined;
    const done = await conditional(this.doc.send(new UpdateCommand({
      TableName: this.table,
      Key: this.conversationKey(user, conversationId),
      UpdateExpression: 'SET title = :t, titleAuto = :f',
      ExpressionAttributeValues: { ':t': title, ':f': false },
      ReturnValues: 'ALL_NEW',
      ...EXISTS,
    })).then((r) => { attributes = r.Attributes; }));
    return done && attributes ? toConversation(attributes) : undefined;
  }

  /** One page of a conversation's messages, newest first; with `upToSk`, only messages up to that key (inclusive). */
  public async messagesNewestFirst(user: string, conversationId: string, limit: number, cursor?: string,
    upToSk?: string): Promise<StorePage<StoredMessage>> {
    const pk = K.messagesPk(user, conversationId);
    const r = await this.doc.send(new QueryCommand({
      TableName: this.table,
      KeyConditionExpression: upToSk ? '#pk = :pk AND #sk BETWEEN :lo AND :hi' : '#pk = :pk AND begins_with(#sk, :lo)',
      ExpressionAttributeNames: { '#pk': PK, '#sk': SK },
      ExpressionAttributeValues: { ':pk': pk, ':lo': K.MESSAGE_PREFIX, ...(upToSk ? { ':hi': upToSk } : {}) },
      ScanIndexForward: false,
      ConsistentRead: true,
      Limit: limit,
      ExclusiveStartKey: decodeCursor(cursor, { [PK]: pk }, { [SK]: K.MESSAGE_PREFIX }),
    }));
    return { items: (r.Items ?? []).map(toMessage), nextCursor: encodeCursor(r.LastEvaluatedKey) };
  }

  /** One page of a user's conversations, most recently updated first. */
  public async listConversations(user: string, limit: number, cursor?: string): Promise<StorePage<ConversationRecord>> {
    const g = TABLE_SCHEMA.updatedIndex;
    const r = await this.doc.send(new QueryCommand({
      TableName: this.table,
      IndexName: g.name,
      KeyConditionExpression: '#g = :u',
      ExpressionAttributeNames: { '#g': g.partitionKey },
      ExpressionAttributeValues: { ':u': K.userPk(user) },
      ScanIndexForward: false,
      Limit: limit,
      ExclusiveStartKey: decodeCursor(cursor, { [g.partitionKey]: K.userPk(user), [PK]: K.userPk(user) },
        { [SK]: K.conversationSk(''), [g.sortKey]: '' }),
    }));
    return { items: (r.Items ?? []).map(toConversation), nextCursor: encodeCursor(r.LastEvaluatedKey) };
  }

  /**
   * Deletes a conversation and every item that belongs to it (messages, their claims and reply
   * pointers), in batches of 25. The conversation item goes first so it leaves the list at once
   * and a concurrent generator cannot recreate its reply (conditional updates).
   */
  public async deleteConversation(user: string, conversationId: string): Promise<boolean> {
    const key = this.conversationKey(user, conversationId);
    if (!(await conditional(this.doc.send(new DeleteCommand({ TableName: this.table, Key: key, ...EXISTS }))))) return false;
    const pk = K.messagesPk(user, conversationId);
    let start: Record<string, unknown> | undefined;
    do {
      const r = await this.doc.send(new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': PK, '#sk': SK, '#r': 'role' },
        ExpressionAttributeValues: { ':pk': pk },
        ProjectionExpression: '#pk, #sk, messageId, #r',
        ConsistentRead: true,
        Limit: 100,
        ExclusiveStartKey: start,
      }));
      const deletes = (r.Items ?? []).flatMap((item) => [
        { DeleteRequest: { Key: { [PK]: item[PK], [SK]: item[SK] } } },
        { DeleteRequest: { Key: { [PK]: K.userPk(user), [SK]: item.role === 'user' ? K.claimSk(item.messageId) : K.replyPointerSk(item.messageId) } } },
      ]);
      await this.batchWrite(deletes);
      start = r.LastEvaluatedKey;
    } while (start);
    return true;
  }

  /** BatchWrite in chunks of 25, retrying unprocessed items with backoff. */
  public async batchWrite(requests: Array<Record<string, any>>): Promise<void> {
    for (let i = 0; i < requests.length; i += 25) {
      let pending: Array<Record<string, any>> = requests.slice(i, i + 25);
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt > 8) throw new Error('DynamoDB kept items unprocessed');
        if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(1000, 50 * 2 ** attempt)));
        const r = await this.doc.send(new BatchWriteCommand({ RequestItems: { [this.table]: pending as any } }));
        pending = (r.UnprocessedItems?.[this.table] ?? []) as Array<Record<string, any>>;
      }
    }
  }
}
