import { DeleteCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { decodeCursor, encodeCursor } from './cursor';
import * as K from './item-keys';
import { conditional, EXISTS, NEW, PK, SK, Table } from './table';
import { TABLE_SCHEMA } from '../../contract/table-schema';
import { sameMessageLease } from '../domain/acceptance';
import { iso } from '../domain/ids';
import { SEARCH_QUERY_PAGE } from '../domain/runtime-limits';
import type { ConversationRecord, Conversations, LeaseResult, StorePage } from '../ports/store';

const UPDATED = TABLE_SCHEMA.updatedIndex;

/** The `byUpdated` key of a conversation item: where a query that ended on it would continue. */
function indexKey(item: Record<string, any>): Record<string, unknown> {
  return { [PK]: item[PK], [SK]: item[SK], [UPDATED.partitionKey]: item[UPDATED.partitionKey], [UPDATED.sortKey]: item[UPDATED.sortKey] };
}

/** A conversation item as a record. */
function toConversation(item: Record<string, any>): ConversationRecord {
  return {
    conversationId: item.conversationId,
    title: item.title ?? '',
    createdAt: item.createdAt,
    updatedAt: item.updatedAt,
    titleAuto: item.titleAuto !== false,
    leaseReplyId: item.leaseReplyId,
    leaseUntil: item.leaseUntil,
    leaseMessageId: item.leaseMessageId,
    calib: item.calib,
    ...(item.leafSk || item.kids ? { tree: { leafSk: item.leafSk, kids: item.kids, kidActive: item.kidActive } } : {}),
    ...(typeof item.modelId === 'string' ? { modelId: item.modelId } : {}),
  };
}

/**
 * Conversation items, listed through the `byUpdated` index; they carry the generation lease
 * (`leaseReplyId`, `leaseUntil`) and the window calibration, so those live here too.
 */
export class DynamoConversations implements Conversations {
  constructor(private readonly table: Table) {}

  private key(user: string, conversationId: string) {
    return { [PK]: K.userPk(user), [SK]: K.conversationSk(conversationId) };
  }

  public async get(user: string, conversationId: string): Promise<ConversationRecord | undefined> {
    const item = await this.table.get(this.key(user, conversationId));
    return item ? toConversation(item) : undefined;
  }

  public async create(user: string, conversationId: string, title: string, now: number, replyId: string, leaseUntil: number): Promise<boolean> {
    const at = iso(now);
    return conditional(this.table.doc.send(new PutCommand({
      TableName: this.table.name,
      Item: {
        ...this.key(user, conversationId),
        conversationId,
        title,
        titleAuto: true,
        createdAt: at,
        updatedAt: at,
        leaseReplyId: replyId,
        leaseUntil,
        [UPDATED.partitionKey]: K.userPk(user),
        [UPDATED.sortKey]: K.updatedSortKey(at, conversationId),
      },
      ...NEW,
    })));
  }

  public async acquireLease(user: string, conversationId: string, replyId: string, now: number, until: number,
    messageId?: string): Promise<LeaseResult> {
    const values: Record<string, unknown> = { ':r': replyId, ':u': until, ':now': now };
    if (messageId !== undefined) values[':m'] = messageId;
    let leased: Record<string, any> | undefined;
    const taken = await conditional(this.table.doc.send(new UpdateCommand({
      TableName: this.table.name,
      Key: this.key(user, conversationId),
      UpdateExpression: `SET leaseReplyId = :r, leaseUntil = :u${messageId !== undefined ? ', leaseMessageId = :m' : ' REMOVE leaseMessageId'}`,
      ConditionExpression: 'attribute_exists(#pk) AND (attribute_not_exists(leaseUntil) OR leaseUntil < :now OR leaseReplyId = :r)',
      ExpressionAttributeNames: { '#pk': PK },
      ExpressionAttributeValues: values,
      // The item as leased: the accepting call needs its tree, model and calibration next.
      ReturnValues: 'ALL_NEW',
    })).then((r) => { leased = r.Attributes; }));
    if (taken && leased) return { leased: toConversation(leased) };
    const held = await this.get(user, conversationId);
    if (!held) return 'missing';
    return sameMessageLease(held, now, messageId) ?? 'busy';
  }

  public async renewLease(user: string, conversationId: string, replyId: string, until: number, modelId?: string): Promise<boolean> {
    if (modelId === undefined) return this.updateIfLeased(user, conversationId, replyId, 'SET leaseUntil = :u', { ':u': until });
    return this.updateIfLeased(user, conversationId, replyId, 'SET leaseUntil = :u, modelId = :model', { ':u': until, ':model': modelId });
  }

  public async finishLease(user: string, conversationId: string, replyId: string, now: number, calib?: number): Promise<boolean> {
    const at = iso(now);
    const values: Record<string, unknown> = { ':at': at, ':g': K.updatedSortKey(at, conversationId) };
    let set = 'SET updatedAt = :at, #gsk = :g';
    if (calib !== undefined) {
      set += ', calib = :c';
      values[':c'] = calib;
    }
    return this.updateIfLeased(user, conversationId, replyId, `${set} REMOVE leaseUntil, leaseReplyId`, values, { '#gsk': UPDATED.sortKey });
  }

  public async releaseLease(user: string, conversationId: string, replyId: string): Promise<boolean> {
    return this.updateIfLeased(user, conversationId, replyId, 'REMOVE leaseUntil, leaseReplyId', {});
  }

  public async dropNew(user: string, conversationId: string, replyId: string): Promise<void> {
    await conditional(this.table.doc.send(new DeleteCommand({
      TableName: this.table.name,
      Key: this.key(user, conversationId),
      ConditionExpression: 'leaseReplyId = :me',
      ExpressionAttributeValues: { ':me': replyId },
    })));
  }

  private async updateIfLeased(user: string, conversationId: string, replyId: string, update: string,
    values: Record<string, unknown>, names: Record<string, string> = {}): Promise<boolean> {
    return conditional(this.table.doc.send(new UpdateCommand({
      TableName: this.table.name,
      Key: this.key(user, conversationId),
      UpdateExpression: update,
      ConditionExpression: 'leaseReplyId = :me',
      ExpressionAttributeValues: { ...values, ':me': replyId },
      ...(Object.keys(names).length ? { ExpressionAttributeNames: names } : {}),
    })));
  }

  public async setGeneratedTitle(user: string, conversationId: string, title: string): Promise<boolean> {
    return conditional(this.table.doc.send(new UpdateCommand({
      TableName: this.table.name,
      Key: this.key(user, conversationId),
      UpdateExpression: 'SET title = :t, titleAuto = :f',
      ConditionExpression: 'attribute_exists(#pk) AND titleAuto = :true',
      ExpressionAttributeNames: { '#pk': PK },
      ExpressionAttributeValues: { ':t': title, ':f': false, ':true': true },
    })));
  }

  public async rename(user: string, conversationId: string, title: string): Promise<ConversationRecord | undefined> {
    let attributes: Record<string, any> | undefined;
    const done = await conditional(this.table.doc.send(new UpdateCommand({
      TableName: this.table.name,
      Key: this.key(user, conversationId),
      UpdateExpression: 'SET title = :t, titleAuto = :f',
      ExpressionAttributeValues: { ':t': title, ':f': false },
      ReturnValues: 'ALL_NEW',
      ...EXISTS,
    })).then((r) => { attributes = r.Attributes; }));
    return done && attributes ? toConversation(attributes) : undefined;
  }

  public async list(user: string, limit: number, cursor?: string): Promise<StorePage<ConversationRecord>> {
    const r = await this.newestFirst(user, limit, this.listStart(user, cursor));
    return { items: (r.Items ?? []).map(toConversation), nextCursor: encodeCursor(r.LastEvaluatedKey) };
  }

  public async search(user: string, match: (c: ConversationRecord) => boolean, limit: number, maxRead: number,
    cursor?: string): Promise<StorePage<ConversationRecord>> {
    const items: ConversationRecord[] = [];
    let start = this.listStart(user, cursor);
    for (let read = 0; read < maxRead;) {
      const r = await this.newestFirst(user, Math.min(SEARCH_QUERY_PAGE, maxRead - read), start);
      const page = r.Items ?? [];
      for (let i = 0; i < page.length; i++) {
        read++;
        const c = toConversation(page[i]);
        if (match(c)) items.push(c);
        if (items.length === limit) {
          const end = i === page.length - 1 && !r.LastEvaluatedKey;
          return { items, nextCursor: end ? undefined : encodeCursor(indexKey(page[i])) };
        }
      }
      if (!r.LastEvaluatedKey) return { items };
      start = r.LastEvaluatedKey;
    }
    return { items, nextCursor: encodeCursor(start) };
  }

  /** The start key of a cursor of this user's `byUpdated` query (refused unless it is one). */
  private listStart(user: string, cursor: string | undefined): Record<string, unknown> | undefined {
    return decodeCursor(cursor, { [UPDATED.partitionKey]: K.userPk(user), [PK]: K.userPk(user) },
      { [SK]: K.conversationSk(''), [UPDATED.sortKey]: '' });
  }

  /** One page of the user's `byUpdated` index, most recently updated first. */
  private newestFirst(user: string, limit: number, start: Record<string, unknown> | undefined) {
    return this.table.doc.send(new QueryCommand({
      TableName: this.table.name,
      IndexName: UPDATED.name,
      KeyConditionExpression: '#g = :u',
      ExpressionAttributeNames: { '#g': UPDATED.partitionKey },
      ExpressionAttributeValues: { ':u': K.userPk(user) },
      ScanIndexForward: false,
      Limit: limit,
      ExclusiveStartKey: start,
    }));
  }

  public async delete(user: string, conversationId: string): Promise<boolean> {
    return conditional(this.table.doc.send(new DeleteCommand({ TableName: this.table.name, Key: this.key(user, conversationId), ...EXISTS })));
  }
}
