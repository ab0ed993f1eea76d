/**
 * Replies whose generator is gone. In AWS a reply whose Lambda died reads `interrupted` once its
 * checkpoints stop (INTERRUPTED_AFTER_MS) and its lease lapses. The local stack knows better: at
 * shutdown, after the drain, nothing of its own generates any more, and at start nothing has
 * started yet. So it finalizes every reply still `streaming` as `interrupted` (keeping the text
 * checkpointed so far) and frees the conversations' leases, and the next message is accepted at
 * once instead of `BUSY`. It scans its own table: local, and bounded by the local data.
 */
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { TABLE_SCHEMA } from '../contract/table-schema';
import { createDocumentClient } from '../core/aws';
import { ConversationStore } from '../core/store';
import * as K from '../core/store/item-keys';

/** The store to clean: the local dynalite's endpoint and table. */
export interface LocalTable {
  readonly endpoint: string;
  readonly tableName: string;
}

/** What {@link interruptOrphanedReplies} did. */
export interface InterruptResult {
  /** Replies moved from `streaming` to `interrupted`. */
  readonly replies: number;
  /** Conversation leases freed. */
  readonly leases: number;
}

interface Owner { user: string; conversationId: string; leaseReplyId?: string }

/** Finalizes every `streaming` reply as `interrupted` and frees every conversation lease. */
export async function interruptOrphanedReplies(table: LocalTable, now: number = Date.now()): Promise<InterruptResult> {
  const doc = createDocumentClient({ region: 'us-east-1', dynamodbEndpoint: table.endpoint, localCredentials: true });
  try {
    const store = new ConversationStore(doc, table.tableName);
    const { partitionKey: PK, sortKey: SK } = TABLE_SCHEMA;
    const userPrefix = K.userPk('');
    const owners = new Map<string, Owner>();
    const streaming: Array<{ pk: string; sk: string; text: string; replyId: string; messageId: string }> = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await doc.send(new ScanCommand({
        TableName: table.tableName,
        // Conversation items (to know each message partition's user and conversation) and
        // streaming replies; nothing else is read.
        FilterExpression: '(begins_with(#pk, :u) AND begins_with(#sk, :c)) OR #s = :streaming',
        ExpressionAttributeNames: { '#pk': PK, '#sk': SK, '#s': 'status', '#t': 'text' },
        ExpressionAttributeValues: { ':u': userPrefix, ':c': K.conversationSk(''), ':streaming': 'streaming' },
        ProjectionExpression: '#pk, #sk, #s, #t, conversationId, leaseReplyId, messageId, userMessageId',
        ConsistentRead: true,
        ExclusiveStartKey: start,
      }));
      for (const item of page.Items ?? []) {
        if (item.status === 'streaming') {
          streaming.push({
            pk: item[PK],
            sk: item[SK],
            text: typeof item.text === 'string' ? item.text : '',
            replyId: String(item.messageId),
            messageId: String(item.userMessageId),
          });
        } else if (typeof item.conversationId === 'string') {
          const user = String(item[PK]).slice(userPrefix.length);
          owners.set(K.messagesPk(user, item.conversationId), {
            user,
            conversationId: item.conversationId,
            leaseReplyId: typeof item.leaseReplyId === 'string' ? item.leaseReplyId : undefined,
          });
        }
      }
      start = page.LastEvaluatedKey;
    } while (start);

    let replies = 0;
    for (const r of streaming) {
      const owner = owners.get(r.pk);
      // A reply without its conversation item was deleted with it (delete removes the conversation first).
      if (!owner) continue;
      const turn = { conversationId: owner.conversationId, t: K.messageTime(r.sk), messageId: r.messageId, replyId: r.replyId };
      const done = await store.messages.finishReply(owner.user, turn,
        { text: r.text, status: 'interrupted', stopReason: 'interrupted' }, now);
      if (done) replies++;
    }
    let leases = 0;
    for (const owner of owners.values()) {
      if (owner.leaseReplyId && await store.conversations.finishLease(owner.user, owner.conversationId, owner.leaseReplyId, now)) leases++;
    }
    return { replies, leases };
  } finally {
    doc.destroy();
  }
}
