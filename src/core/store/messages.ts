import { PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { decodeCursor, encodeCursor } from './cursor';
import * as K from './item-keys';
import { conditional, EXISTS, NEW, PK, SK, Table, TTL } from './table';
import type { Role, Usage } from '../../contract/protocol';
import { iso } from '../domain/ids';
import { POINTER_TTL_SECONDS } from '../domain/runtime-limits';
import { replyTreeAttributes, userTreeAttributes } from '../domain/tree';
import type { FinalReply, Messages, ReplyPointer, StorePage, StoredMessage, TurnRef } from '../ports/store';

/** A message item as a record. */
export function toMessage(item: Record<string, any>): StoredMessage {
  const m: StoredMessage = {
    messageId: item.messageId,
    role: item.role as Role,
    text: item.text ?? '',
    status: item.status,
    createdAt: item.createdAt,
    checkpointAt: item.checkpointAt,
    stopReason: item.stopReason,
  };
  if (item.usage) m.usage = item.usage as Usage;
  if (typeof item.modelId === 'string') m.modelId = item.modelId;
  if (Array.isArray(item.attachments) && item.attachments.length) m.attachments = item.attachments;
  return m;
}

/**
 * Message items (one per user message and per reply, in a partition per conversation) and the
 * reply pointers (stop flags) written with them.
 */
export class DynamoMessages implements Messages {
  constructor(private readonly table: Table) {}

  private replyKey(user: string, turn: TurnRef) {
    return { [PK]: K.messagesPk(user, turn.conversationId), [SK]: K.messageSk(turn.t, 'reply', turn.replyId) };
  }

  private pointerKey(user: string, replyId: string) {
    return { [PK]: K.userPk(user), [SK]: K.replyPointerSk(replyId) };
  }

  /**
   * The claiming call writes the user message and the pointer in one batch; a `rerun` puts each
   * only where it is missing. The reverse window remains: a first call whose batch is still being
   * retried after a resend has finished the turn and the user pressed stop rewrites the pointer
   * and loses that stop (never a message).
   */
  public async putTurn(user: string, turn: TurnRef, text: string, rerun = false): Promise<boolean> {
    const createdAt = iso(turn.t);
    const pk = K.messagesPk(user, turn.conversationId);
    const userSk = K.messageSk(turn.tree?.userT ?? turn.t, 'user', turn.messageId);
    const replySk = K.messageSk(turn.t, 'reply', turn.replyId);
    const first: Array<Record<string, unknown>> = [
      {
        ...this.pointerKey(user, turn.replyId),
        conversationId: turn.conversationId,
        stopRequested: false,
        [TTL]: Math.floor(turn.t / 1000) + POINTER_TTL_SECONDS,
      },
    ];
    // A regenerate answers a user message that exists: only its new reply is stored.
    if (turn.tree?.userT === undefined) {
      first.unshift({
        [PK]: pk,
        [SK]: userSk,
        messageId: turn.messageId,
        role: 'user',
        text,
        status: 'complete',
        createdAt,
        ...userTreeAttributes(turn, replySk),
        ...(turn.attachments?.length ? { attachments: turn.attachments } : {}),
      });
    }
    if (turn.tree) {
      first.push({ [PK]: pk, [SK]: K.messageIndexSk(turn.replyId), at: replySk });
      if (turn.tree.userT === undefined) first.push({ [PK]: pk, [SK]: K.messageIndexSk(turn.messageId), at: userSk });
    }
    if (rerun) {
      for (const Item of first) await conditional(this.table.doc.send(new PutCommand({ TableName: this.table.name, Item, ...NEW })));
    } else {
      await this.table.batchWrite(first.map((Item) => ({ PutRequest: { Item } })));
    }
    return conditional(this.table.doc.send(new PutCommand({
      TableName: this.table.name,
      Item: {
        ...this.replyKey(user, turn),
        messageId: turn.replyId,
        role: 'assistant',
        text: '',
        status: 'streaming',
        createdAt,
        checkpointAt: turn.t,
        userMessageId: turn.messageId,
        ...(turn.requestId ? { claimId: turn.requestId } : {}),
        ...replyTreeAttributes(turn, userSk),
        ...(turn.modelId ? { modelId: turn.modelId } : {}),
      },
      ...NEW,
    })));
  }

  public async hasReply(user: string, turn: TurnRef): Promise<boolean> {
    return (await this.table.get(this.replyKey(user, turn))) !== undefined;
  }

  public async checkpointReply(user: string, turn: TurnRef, text: string | undefined, now: number): Promise<boolean> {
    if (text === undefined) return this.updateReply(user, turn, 'SET checkpointAt = :c', { ':c': now });
    return this.updateReply(user, turn, 'SET #t = :t, checkpointAt = :c', { ':t': text, ':c': now }, { '#t': 'text' });
  }

  public async finishReply(user: string, turn: TurnRef, final: FinalReply, now: number): Promise<boolean> {
    const values: Record<string, unknown> = { ':t': final.text, ':s': final.status, ':c': now };
    const names: Record<string, string> = { '#t': 'text', '#s': 'status' };
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
    return this.updateReply(user, turn, set, values, names);
  }

  private async updateReply(user: string, turn: TurnRef, update: string, values: Record<string, unknown>,
    names: Record<string, string> = {}): Promise<boolean> {
    return conditional(this.table.doc.send(new UpdateCommand({
      TableName: this.table.name,
      Key: this.replyKey(user, turn),
      UpdateExpression: update,
      // Never recreate a reply deleted with its conversation while the generator ran.
      ConditionExpression: 'attribute_exists(#pk)',
      ExpressionAttributeNames: { '#pk': PK, ...names },
      ExpressionAttributeValues: values,
    })));
  }

  public async replyPointer(user: string, replyId: string): Promise<ReplyPointer | undefined> {
    const item = await this.table.get(this.pointerKey(user, replyId));
    return item ? { conversationId: item.conversationId, stopRequested: item.stopRequested === true } : undefined;
  }

  public async requestStop(user: string, replyId: string): Promise<boolean> {
    return conditional(this.table.doc.send(new UpdateCommand({
      TableName: this.table.name,
      Key: this.pointerKey(user, replyId),
      UpdateExpression: 'SET stopRequested = :t',
      ExpressionAttributeValues: { ':t': true },
      ...EXISTS,
    })));
  }

  public async newestFirst(user: string, conversationId: string, limit: number, cursor?: string,
    upTo?: TurnRef): Promise<StorePage<StoredMessage>> {
    const pk = K.messagesPk(user, conversationId);
    const r = await this.table.doc.send(new QueryCommand({
      TableName: this.table.name,
      KeyConditionExpression: upTo ? '#pk = :pk AND #sk BETWEEN :lo AND :hi' : '#pk = :pk AND begins_with(#sk, :lo)',
      ExpressionAttributeNames: { '#pk': PK, '#sk': SK },
      ExpressionAttributeValues: {
        ':pk': pk,
        ':lo': K.MESSAGE_PREFIX,
        ...(upTo ? { ':hi': K.messageSk(upTo.t, 'user', upTo.messageId) } : {}),
      },
      ScanIndexForward: false,
      ConsistentRead: true,
      Limit: limit,
      ExclusiveStartKey: decodeCursor(cursor, { [PK]: pk }, { [SK]: K.MESSAGE_PREFIX }),
    }));
    return { items: (r.Items ?? []).map(toMessage), nextCursor: encodeCursor(r.LastEvaluatedKey) };
  }

  public cursorAfter(user: string, conversationId: string, message: StoredMessage): string {
    // What DynamoDB's LastEvaluatedKey would be: the item's key (its `t` is its createdAt).
    const kind = message.role === 'user' ? 'user' : 'reply';
    return encodeCursor({ [PK]: K.messagesPk(user, conversationId), [SK]: K.messageSk(Date.parse(message.createdAt), kind, message.messageId) })!;
  }

  public async deleteTurn(user: string, turn: TurnRef): Promise<void> {
    const pk = K.messagesPk(user, turn.conversationId);
    const own = turn.tree?.userT === undefined
      ? [{ [PK]: pk, [SK]: K.messageSk(turn.t, 'user', turn.messageId) }, { [PK]: pk, [SK]: K.messageIndexSk(turn.messageId) }]
      : []; // a regenerate's user message is not its own
    await this.table.deleteKeys([
      ...own,
      this.replyKey(user, turn),
      this.pointerKey(user, turn.replyId),
      ...(turn.tree ? [{ [PK]: pk, [SK]: K.messageIndexSk(turn.replyId) }] : []),
    ]);
  }

  public async deleteAll(user: string, conversationId: string): Promise<string[]> {
    const pk = K.messagesPk(user, conversationId);
    const userMessages: string[] = [];
    for await (const items of this.table.pages({
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': PK, '#sk': SK, '#r': 'role' },
      ExpressionAttributeValues: { ':pk': pk },
      ProjectionExpression: '#pk, #sk, messageId, #r, claimId',
      ConsistentRead: true,
      Limit: 100,
    })) {
      await this.table.deleteKeys(items.flatMap((item) => [
        { [PK]: item[PK], [SK]: item[SK] },
        ...(item.role === 'assistant' ? [this.pointerKey(user, item.messageId)] : []),
      ]));
      // Claims: a user message's own, and a regenerated reply's request's (index items have neither).
      userMessages.push(...items.filter((i) => i.role === 'user').map((i) => i.messageId as string));
      userMessages.push(...items.filter((i) => typeof i.claimId === 'string').map((i) => i.claimId as string));
    }
    return userMessages;
  }
}
