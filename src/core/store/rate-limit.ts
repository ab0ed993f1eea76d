import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as K from './item-keys';
import { PK, SK, Table, TTL } from './table';
import { RATE_TTL_SECONDS } from '../domain/runtime-limits';
import type { RateCounters } from '../ports/store';

/** One counter item per user and minute, incremented atomically, expiring by TTL. */
export class DynamoRateCounters implements RateCounters {
  constructor(private readonly table: Table) {}

  public async hit(user: string, now: number): Promise<number> {
    const minute = Math.floor(now / 60_000);
    const r = await this.table.doc.send(new UpdateCommand({
      TableName: this.table.name,
      Key: { [PK]: K.userPk(user), [SK]: K.rateSk(minute) },
      UpdateExpression: 'ADD n :one SET #ttl = :ttl',
      ExpressionAttributeNames: { '#ttl': TTL },
      ExpressionAttributeValues: { ':one': 1, ':ttl': (minute + 1) * 60 + RATE_TTL_SECONDS },
      ReturnValues: 'UPDATED_NEW',
    }));
    return Number(r.Attributes?.n ?? 0);
  }
}
