import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as K from './item-keys';
import { conditional, PK, SK, Table, TTL } from './table';
import { RATE_TTL_SECONDS } from '../domain/runtime-limits';
import type { RateCounters, TokenResult } from '../ports/store';

/**
 * Two counter items per user and minute, updated atomically with conditions, expiring by TTL:
 * `L#{minute}` counts messages (`n`) and keeps the ids that took its tokens (`ids`), so a
 * message takes at most one token a minute however many copies of it arrive at once;
 * `L#{minute}#parts` counts the bytes of parts stored (`b`) and the messages whose refused
 * parts were answered (`r`).
 */
export class DynamoRateCounters implements RateCounters {
  constructor(private readonly table: Table) {}

  private key(user: string, sk: string) {
    return { [PK]: K.userPk(user), [SK]: sk };
  }

  private async update(user: string, sk: string, minute: number, update: string, condition: string,
    values: Record<string, unknown>): Promise<boolean> {
    return conditional(this.table.doc.send(new UpdateCommand({
      TableName: this.table.name,
      Key: this.key(user, sk),
      UpdateExpression: `${update} SET #ttl = :ttl`,
      ConditionExpression: condition,
      ExpressionAttributeNames: { '#ttl': TTL },
      ExpressionAttributeValues: { ...values, ':ttl': (minute + 1) * 60 + RATE_TTL_SECONDS },
    })));
  }

  public async take(user: string, messageId: string, now: number, limit: number): Promise<TokenResult> {
    const minute = Math.floor(now / 60_000);
    const taken = await this.update(user, K.rateSk(minute), minute, 'ADD n :one, ids :id',
      '(attribute_not_exists(n) OR n < :limit) AND (attribute_not_exists(ids) OR NOT contains(ids, :m))',
      { ':one': 1, ':id': new Set([messageId]), ':m': messageId, ':limit': limit });
    if (taken) return 'taken';
    // Ids are only ever added to a minute's item: one that is there now took its token in it.
    const item = await this.table.get(this.key(user, K.rateSk(minute)));
    return (item?.ids as Set<string> | undefined)?.has(messageId) ? 'held' : 'refused';
  }

  public async count(user: string, now: number): Promise<number> {
    const item = await this.table.get(this.key(user, K.rateSk(Math.floor(now / 60_000))));
    return Number(item?.n ?? 0);
  }

  public async takePartBytes(user: string, bytes: number, now: number, limit: number): Promise<boolean> {
    if (bytes > limit) return false;
    const minute = Math.floor(now / 60_000);
    // Conditions cannot add: "b + bytes <= limit" is written "b <= limit - bytes".
    return this.update(user, K.partBytesSk(minute), minute, 'ADD b :b', 'attribute_not_exists(b) OR b <= :room',
      { ':b': bytes, ':room': limit - bytes });
  }

  public async firstPartRefusal(user: string, messageId: string, now: number, cap: number): Promise<boolean> {
    const minute = Math.floor(now / 60_000);
    return this.update(user, K.partBytesSk(minute), minute, 'ADD r :id',
      'attribute_not_exists(r) OR (NOT contains(r, :m) AND size(r) < :cap)',
      { ':id': new Set([messageId]), ':m': messageId, ':cap': cap });
  }
}
