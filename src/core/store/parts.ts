import { DeleteCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import * as K from './item-keys';
import { conditional, NEW, PK, SK, Table, TTL } from './table';
import { PART_TTL_SECONDS } from '../../contract/protocol';
import type { PartInput, Parts, PartSet } from '../ports/store';

/**
 * Parts of split messages and each set's `done` marker, all expiring after PART_TTL_SECONDS
 * (read as absent past their `ttl`, as DynamoDB TTL deletes lazily). A part keeps what its set
 * must agree on: count, conversation, parent, model and the files' ids (a list: their order counts).
 */
export class DynamoParts implements Parts {
  constructor(private readonly table: Table) {}

  public async put(user: string, part: PartInput, now: number): Promise<PartSet> {
    const nowSeconds = Math.floor(now / 1000);
    await this.table.doc.send(new PutCommand({
      TableName: this.table.name,
      Item: {
        [PK]: K.userPk(user),
        [SK]: K.partSk(part.messageId, part.index),
        text: part.text,
        count: part.count,
        conversationId: part.conversationId ?? '',
        ...(part.parentId ? { parentId: part.parentId } : {}),
        ...(part.modelId ? { modelId: part.modelId } : {}),
        ...(part.attachmentIds?.length ? { attachmentIds: part.attachmentIds } : {}),
        [TTL]: nowSeconds + PART_TTL_SECONDS,
      },
    }));
    const r = await this.table.doc.send(new QueryCommand({
      TableName: this.table.name,
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :p)',
      ExpressionAttributeNames: { '#pk': PK, '#sk': SK },
      ExpressionAttributeValues: { ':pk': K.userPk(user), ':p': K.partPrefix(part.messageId) },
      ConsistentRead: true,
    }));
    const live = (r.Items ?? []).filter((i) => (i[TTL] ?? Infinity) > nowSeconds);
    const doneSk = K.partsDoneSk(part.messageId);
    // Sort keys are zero-padded indexes, so the query returned the parts in order.
    const parts = live.filter((i) => i[SK] !== doneSk).map((i): PartInput => ({
      messageId: part.messageId,
      index: Number((i[SK] as string).slice(K.partPrefix(part.messageId).length)),
      count: i.count,
      text: i.text,
      ...(i.conversationId ? { conversationId: i.conversationId } : {}),
      ...(i.parentId ? { parentId: i.parentId } : {}),
      ...(i.modelId ? { modelId: i.modelId } : {}),
      ...(i.attachmentIds ? { attachmentIds: i.attachmentIds } : {}),
    }));
    return { decided: live.some((i) => i[SK] === doneSk), parts };
  }

  public async decide(user: string, messageId: string, now: number): Promise<boolean> {
    return conditional(this.table.doc.send(new PutCommand({
      TableName: this.table.name,
      Item: { [PK]: K.userPk(user), [SK]: K.partsDoneSk(messageId), [TTL]: Math.floor(now / 1000) + PART_TTL_SECONDS },
      ...NEW,
    })));
  }

  public async reopen(user: string, messageId: string): Promise<void> {
    await this.table.doc.send(new DeleteCommand({ TableName: this.table.name, Key: { [PK]: K.userPk(user), [SK]: K.partsDoneSk(messageId) } }));
  }

  public async remove(user: string, messageId: string, indexes: readonly number[]): Promise<void> {
    await this.table.deleteKeys(indexes.map((i) => ({ [PK]: K.userPk(user), [SK]: K.partSk(messageId, i) })));
  }
}
