/**
 * Reads the store back directly from dynalite (not through our handlers, not from any client's
 * memory) so the load suite and the bench judge loss and duplication by what was really kept.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { MESSAGE_PREFIX } from '../../../src/core/keys';
import type { MessageStatus, StopReason } from '../../../src/contract/protocol';
import { effectiveStatus } from '../../../src/core/store';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../../src/local/dynamo';

/** A message item as found in the table. */
export interface FoundMessage {
  readonly pk: string;
  readonly sk: string;
  readonly messageId: string;
  readonly role: 'user' | 'assistant';
  readonly text: string;
  /** As a reader sees it (a reply whose generator died long ago reads `interrupted`). */
  readonly status: MessageStatus;
  readonly stopReason?: StopReason;
  /** For replies: the user message they answer. */
  readonly userMessageId?: string;
}

/** Every message item of the table, grouped by messageId (a list, so duplicates show). */
export interface StoreSnapshot {
  readonly byId: Map<string, FoundMessage[]>;
  readonly messages: FoundMessage[];
  readonly items: number;
}

/** Scans the whole table (consistent reads) and indexes its message items. */
export async function snapshotStore(endpoint: string, tableName: string): Promise<StoreSnapshot> {
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS }));
  const messages: FoundMessage[] = [];
  let items = 0;
  try {
    let start: Record<string, any> | undefined;
    do {
      const r = await doc.send(new ScanCommand({ TableName: tableName, ConsistentRead: true, ExclusiveStartKey: start }));
      for (const it of r.Items ?? []) {
        items++;
        if (typeof it.sk !== 'string' || !it.sk.startsWith(MESSAGE_PREFIX)) continue;
        messages.push({
          pk: it.pk,
          sk: it.sk,
          messageId: it.messageId,
          role: it.role,
          text: it.text ?? '',
          status: effectiveStatus({ status: it.status, checkpointAt: it.checkpointAt }, Date.now()),
          stopReason: it.stopReason,
          userMessageId: it.userMessageId,
        });
      }
      start = r.LastEvaluatedKey;
    } while (start);
  } finally {
    doc.destroy();
  }
  const byId = new Map<string, FoundMessage[]>();
  for (const m of messages) byId.set(m.messageId, [...(byId.get(m.messageId) ?? []), m]);
  return { byId, messages, items };
}
