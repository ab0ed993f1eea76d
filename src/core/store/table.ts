import { BatchGetCommand, BatchWriteCommand, DynamoDBDocumentClient, GetCommand, QueryCommand, QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { TABLE_SCHEMA } from '../../contract/table-schema';
import type { Clock } from '../ports/clock';

export const { partitionKey: PK, sortKey: SK, ttlAttribute: TTL } = TABLE_SCHEMA;
/** Condition: the item exists / does not exist yet. */
export const EXISTS = { ConditionExpression: 'attribute_exists(#pk)', ExpressionAttributeNames: { '#pk': PK } };
export const NEW = { ConditionExpression: 'attribute_not_exists(#pk)', ExpressionAttributeNames: { '#pk': PK } };

/** Most requests one BatchWriteItem takes. */
const BATCH = 25;
/** Most keys one BatchGetItem takes. */
const GET_BATCH = 100;
/** Attempts of a batch whose items DynamoDB keeps unprocessed, and the first backoff (doubling, capped). */
const BATCH_ATTEMPTS = 9;
const BATCH_BACKOFF_MS = 100;
const BATCH_BACKOFF_CAP_MS = 1000;

/** Runs a conditional write: true when it happened, false when its condition did not hold. */
export async function conditional(write: Promise<unknown>): Promise<boolean> {
  try {
    await write;
    return true;
  } catch (err) {
    if ((err as Error)?.name === 'ConditionalCheckFailedException') return false;
    throw err;
  }
}

/** The one table every store module shares: its client, name and clock, and the plumbing they share. */
export class Table {
  constructor(public readonly doc: DynamoDBDocumentClient, public readonly name: string, private readonly clock: Clock) {}

  /** A consistent read of one item. */
  public async get(key: Record<string, string>): Promise<Record<string, any> | undefined> {
    return (await this.doc.send(new GetCommand({ TableName: this.name, Key: key, ConsistentRead: true }))).Item;
  }

  /**
   * The pages of a query on this table, one at a time, to its last (a caller may stop early). The
   * next page is read only when the caller asks for it, after it has handled this one.
   */
  public async *pages(query: Omit<QueryCommandInput, 'TableName' | 'ExclusiveStartKey'>): AsyncGenerator<Array<Record<string, any>>> {
    let start: Record<string, any> | undefined;
    do {
      const r = await this.doc.send(new QueryCommand({ ...query, TableName: this.name, ExclusiveStartKey: start }));
      yield r.Items ?? [];
      start = r.LastEvaluatedKey;
    } while (start);
  }

  /** Consistent reads of many items (BatchGetItem in chunks of 100, unprocessed keys retried); missing ones are absent. */
  public async batchGet(keys: ReadonlyArray<Record<string, string>>): Promise<Array<Record<string, any>>> {
    const found: Array<Record<string, any>> = [];
    for (let i = 0; i < keys.length; i += GET_BATCH) {
      let pending: Array<Record<string, any>> = keys.slice(i, i + GET_BATCH);
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt >= BATCH_ATTEMPTS) throw new Error('DynamoDB kept keys unprocessed');
        if (attempt > 0) await this.clock.sleep(Math.min(BATCH_BACKOFF_CAP_MS, BATCH_BACKOFF_MS * 2 ** (attempt - 1)));
        const r = await this.doc.send(new BatchGetCommand({ RequestItems: { [this.name]: { Keys: pending, ConsistentRead: true } } }));
        found.push(...(r.Responses?.[this.name] ?? []));
        pending = (r.UnprocessedKeys?.[this.name]?.Keys ?? []) as Array<Record<string, any>>;
      }
    }
    return found;
  }

  /** BatchWrite in chunks of 25, retrying unprocessed items with backoff on the injected clock. */
  public async batchWrite(requests: Array<Record<string, any>>): Promise<void> {
    for (let i = 0; i < requests.length; i += BATCH) {
      let pending: Array<Record<string, any>> = requests.slice(i, i + BATCH);
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt >= BATCH_ATTEMPTS) throw new Error('DynamoDB kept items unprocessed');
        if (attempt > 0) await this.clock.sleep(Math.min(BATCH_BACKOFF_CAP_MS, BATCH_BACKOFF_MS * 2 ** (attempt - 1)));
        const r = await this.doc.send(new BatchWriteCommand({ RequestItems: { [this.name]: pending as any } }));
        pending = (r.UnprocessedItems?.[this.name] ?? []) as Array<Record<string, any>>;
      }
    }
  }

  /** Deletes items by key (in batches). */
  public async deleteKeys(keys: ReadonlyArray<Record<string, string>>): Promise<void> {
    await this.batchWrite(keys.map((Key) => ({ DeleteRequest: { Key } })));
  }
}
