import { DeleteCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import * as K from './keys';
import { PART_TTL_SECONDS, charCount, ErrorFrame } from '../contract/protocol';
import type { ConversationStore } from './store';
import { TABLE_SCHEMA } from '../contract/table-schema';
import { hasVisibleText, invisibleTextMessage } from '../contract/text-checks';

const { partitionKey: PK, sortKey: SK, ttlAttribute: TTL } = TABLE_SCHEMA;

/** One arrived part of a split message. */
export interface PartInput {
  messageId: string;
  conversationId?: string;
  index: number;
  count: number;
  text: string;
}

/** Result of storing a part: still waiting, complete (this caller assembles), or refused. */
export type PartResult =
  | { state: 'waiting' }
  | { state: 'complete'; text: string; conversationId?: string }
  | { state: 'taken' }
  | { state: 'error'; error: ErrorFrame };

const bad = (code: 'BAD_REQUEST' | 'TOO_LARGE', message: string, messageId: string): PartResult =>
  ({ state: 'error', error: { type: 'error', code, message, retryable: false, messageId } });

/**
 * Stores one part and decides the set at most once: parts may arrive in any order and in
 * concurrent invocations, so whether the set is answered is decided by a conditional put of a
 * `done` marker, never by "I saw all parts". Whoever puts it answers — with the whole text
 * when the set is complete, or with the refusal (TOO_LARGE, BAD_REQUEST) as soon as the parts
 * seen prove the set bad — and every other invocation of the set stays quiet (`taken`).
 * Parts expire after PART_TTL_SECONDS (read as absent past their `ttl`, as DynamoDB TTL deletes
 * lazily).
 */
export async function storePart(store: ConversationStore, user: string, part: PartInput, now: number, maxInputChars: number): Promise<PartResult> {
  const nowSeconds = Math.floor(now / 1000);
  const doc = store.client;
  const table = store.tableName;
  await doc.send(new PutCommand({
    TableName: table,
    Item: {
      [PK]: K.userPk(user),
      [SK]: K.partSk(part.messageId, part.index),
      text: part.text,
      count: part.count,
      conversationId: part.conversationId ?? '',
      [TTL]: nowSeconds + PART_TTL_SECONDS,
    },
  }));
  const r = await doc.send(new QueryCommand({
    TableName: table,
    KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :p)',
    ExpressionAttributeNames: { '#pk': PK, '#sk': SK },
    ExpressionAttributeValues: { ':pk': K.userPk(user), ':p': K.partPrefix(part.messageId) },
    ConsistentRead: true,
  }));
  const live = (r.Items ?? []).filter((i) => (i[TTL] ?? Infinity) > nowSeconds);
  if (live.some((i) => i[SK] === K.partsDoneSk(part.messageId))) return { state: 'taken' };
  const parts = live.filter((i) => i[SK] !== K.partsDoneSk(part.messageId));
  const text = parts.map((p) => p.text as string).join('');
  let refusal: PartResult | undefined;
  if (parts.some((p) => p.count !== part.count || p.conversationId !== (part.conversationId ?? ''))) {
    refusal = bad('BAD_REQUEST', 'The parts of a message must share count and conversationId.', part.messageId);
  } else if (charCount(text) > maxInputChars) {
    refusal = bad('TOO_LARGE', `A message may be at most ${maxInputChars} characters.`, part.messageId);
  } else if (parts.length === part.count && !hasVisibleText(text)) {
    refusal = bad('BAD_REQUEST', invisibleTextMessage('message'), part.messageId);
  } else if (parts.length < part.count) {
    return { state: 'waiting' };
  }
  try {
    await doc.send(new PutCommand({
      TableName: table,
      Item: { [PK]: K.userPk(user), [SK]: K.partsDoneSk(part.messageId), [TTL]: nowSeconds + PART_TTL_SECONDS },
      ConditionExpression: 'attribute_not_exists(#pk)',
      ExpressionAttributeNames: { '#pk': PK },
    }));
  } catch (err) {
    if ((err as Error).name === 'ConditionalCheckFailedException') return { state: 'taken' };
    throw err;
  }
  if (refusal) {
    // A refused set is never used: its parts go now (the marker keeps late parts quiet).
    await store.batchWrite(parts.map((p) => ({ DeleteRequest: { Key: { [PK]: p[PK], [SK]: p[SK] } } })));
    return refusal;
  }
  // Sort keys are zero-padded indexes, so the query returned the parts in order.
  return { state: 'complete', text, conversationId: part.conversationId };
}

/**
 * Takes back the `done` marker of a set that completed but was then refused for a retryable
 * reason before it was claimed (BUSY, RATE_LIMITED, a store error), so the client's resend of
 * the parts completes it again. The parts themselves are still stored.
 */
export async function reopenParts(store: ConversationStore, user: string, messageId: string): Promise<void> {
  await store.client.send(new DeleteCommand({ TableName: store.tableName, Key: { [PK]: K.userPk(user), [SK]: K.partsDoneSk(messageId) } }));
}

/** Removes a completed set's parts (the done marker stays until its TTL, so late duplicates stay quiet). */
export async function deleteParts(store: ConversationStore, user: string, messageId: string, count: number): Promise<void> {
  await store.batchWrite(Array.from({ length: count }, (_, i) => ({
    DeleteRequest: { Key: { [PK]: K.userPk(user), [SK]: K.partSk(messageId, i) } },
  })));
}
