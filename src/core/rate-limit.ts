import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as K from './keys';
import { RATE_TTL_SECONDS } from './limits';
import type { ConversationStore } from './store';
import { TABLE_SCHEMA } from '../contract/table-schema';

/**
 * Per-user fixed-window rate limit: one counter item per user and minute, incremented
 * atomically, expiring by TTL. Returns true when this message is within the limit.
 */
export async function takeRateToken(store: ConversationStore, user: string, perMinute: number, now: number): Promise<boolean> {
  const minute = Math.floor(now / 60_000);
  const r = await store.client.send(new UpdateCommand({
    TableName: store.tableName,
    Key: { [TABLE_SCHEMA.partitionKey]: K.userPk(user), [TABLE_SCHEMA.sortKey]: K.rateSk(minute) },
    UpdateExpression: 'ADD n :one SET #ttl = :ttl',
    ExpressionAttributeNames: { '#ttl': TABLE_SCHEMA.ttlAttribute },
    ExpressionAttributeValues: { ':one': 1, ':ttl': (minute + 1) * 60 + RATE_TTL_SECONDS },
    ReturnValues: 'UPDATED_NEW',
  }));
  return Number(r.Attributes?.n ?? 0) <= perMinute;
}
