import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as K from './item-keys';
import { conditional, NEW, PK, SK, Table, TTL } from './table';
import type { AttachmentRecord, AttachmentRecords, DailyUploadResult } from '../ports/attachments';

const DAY_MS = 86_400_000;

const FIELDS = ['attachmentId', 'name', 'contentType', 'size', 'status', 'width', 'height', 'pages', 'conversationId', 'messageId', 'createdAt'] as const;

function record(item: Record<string, any>): AttachmentRecord {
  const r: Record<string, unknown> = {};
  for (const f of FIELDS) if (item[f] !== undefined) r[f] = item[f];
  return r as unknown as AttachmentRecord;
}

/**
 * Attachment records (item-keys.ts): one item per attachment in the user's partition, a link item
 * per attachment a conversation used (its delete finds them with one query), and a daily counter.
 */
export class DynamoAttachments implements AttachmentRecords {
  constructor(private readonly table: Table) {}

  private key(user: string, attachmentId: string) {
    return { [PK]: K.userPk(user), [SK]: K.attachmentSk(attachmentId) };
  }

  public async create(user: string, r: AttachmentRecord, expiresAtSeconds: number): Promise<void> {
    const ok = await conditional(this.table.doc.send(new PutCommand({
      TableName: this.table.name,
      Item: { ...this.key(user, r.attachmentId), ...r, [TTL]: expiresAtSeconds },
      ...NEW,
    })));
    if (!ok) throw new Error('attachment id collision');
  }

  public async get(user: string, attachmentId: string): Promise<AttachmentRecord | undefined> {
    const item = await this.table.get(this.key(user, attachmentId));
    return item ? record(item) : undefined;
  }

  /** Parallel consistent gets (a message has at most 25; the functions hold no BatchGetItem grant). */
  public async getMany(user: string, attachmentIds: readonly string[]): Promise<AttachmentRecord[]> {
    const found = await Promise.all([...new Set(attachmentIds)].map((id) => this.get(user, id)));
    return found.filter((r): r is AttachmentRecord => r !== undefined);
  }

  public async markReady(user: string, attachmentId: string, found: Pick<AttachmentRecord, 'width' | 'height' | 'pages'>): Promise<AttachmentRecord | undefined> {
    const sets = ['#status = :ready', ...Object.entries(found).filter(([, v]) => v !== undefined).map(([k]) => `#${k} = :${k}`)];
    const values: Record<string, unknown> = { ':ready': 'ready', ':pending': 'pending' };
    const names: Record<string, string> = { '#status': 'status' };
    for (const [k, v] of Object.entries(found)) {
      if (v === undefined) continue;
      values[`:${k}`] = v;
      names[`#${k}`] = k;
    }
    try {
      const r = await this.table.doc.send(new UpdateCommand({
        TableName: this.table.name,
        Key: this.key(user, attachmentId),
        UpdateExpression: `SET ${sets.join(', ')}`,
        ConditionExpression: '#status = :pending',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ReturnValues: 'ALL_NEW',
      }));
      return r.Attributes ? record(r.Attributes) : undefined;
    } catch (err) {
      if ((err as Error)?.name === 'ConditionalCheckFailedException') return undefined;
      throw err;
    }
  }

  public async use(user: string, attachmentIds: readonly string[], conversationId: string, messageId: string): Promise<boolean> {
    for (const id of attachmentIds) {
      const ok = await conditional(this.table.doc.send(new UpdateCommand({
        TableName: this.table.name,
        Key: this.key(user, id),
        // `messageId` stays the first message that used it; a resend, or another message of the same
        // conversation (an edit's new version), binds again; another conversation may not take it.
        // Its link item has one key per conversation and file, so a conversation's delete finds it once.
        UpdateExpression: 'SET conversationId = :c, messageId = if_not_exists(messageId, :m) REMOVE #ttl',
        ConditionExpression: '#status = :ready AND (attribute_not_exists(conversationId) OR conversationId = :c)',
        ExpressionAttributeNames: { '#status': 'status', '#ttl': TTL },
        ExpressionAttributeValues: { ':c': conversationId, ':m': messageId, ':ready': 'ready' },
      })));
      if (!ok) return false;
      await this.table.doc.send(new PutCommand({
        TableName: this.table.name,
        Item: { [PK]: K.userPk(user), [SK]: K.conversationAttachmentSk(conversationId, id), attachmentId: id },
      }));
    }
    return true;
  }

  public async listForConversation(user: string, conversationId: string): Promise<string[]> {
    const ids: string[] = [];
    for await (const items of this.table.pages({
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
      ExpressionAttributeNames: { '#pk': PK, '#sk': SK },
      ExpressionAttributeValues: { ':pk': K.userPk(user), ':prefix': K.conversationAttachmentPrefix(conversationId) },
      ConsistentRead: true,
    })) {
      ids.push(...items.map((i) => i.attachmentId as string));
    }
    return ids;
  }

  public async delete(user: string, attachmentIds: readonly string[], conversationId?: string): Promise<void> {
    await this.table.deleteKeys(attachmentIds.flatMap((id) => [
      this.key(user, id),
      ...(conversationId ? [{ [PK]: K.userPk(user), [SK]: K.conversationAttachmentSk(conversationId, id) }] : []),
    ]));
  }

  public async takeDaily(user: string, bytes: number, now: number, maxUploads: number, maxBytes: number): Promise<DailyUploadResult> {
    if (bytes > maxBytes) return 'refused';
    const day = Math.floor(now / DAY_MS);
    // Conditions cannot add: "b + bytes <= max" is written "b <= max - bytes".
    const ok = await conditional(this.table.doc.send(new UpdateCommand({
      TableName: this.table.name,
      Key: { [PK]: K.userPk(user), [SK]: K.dailyUploadsSk(day) },
      UpdateExpression: 'ADD n :one, b :b SET #ttl = :ttl',
      ConditionExpression: '(attribute_not_exists(n) OR n < :maxN) AND (attribute_not_exists(b) OR b <= :room)',
      ExpressionAttributeNames: { '#ttl': TTL },
      ExpressionAttributeValues: { ':one': 1, ':b': bytes, ':maxN': maxUploads, ':room': maxBytes - bytes, ':ttl': ((day + 2) * DAY_MS) / 1000 },
    })));
    return ok ? 'taken' : 'refused';
  }
}
