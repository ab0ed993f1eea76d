/**
 * What one DynamoDB request costs on the local stack when nothing else runs: each operation the
 * handlers use, sent one at a time through the same SDK the handlers use, timed from the client
 * (SDK: marshalling, signing, HTTP) and inside dynalite (arrival to response, from the profile).
 * Under load a request waits behind every other; this is the price of the request itself.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Harness } from './harness';
import { percentile, round } from './stats';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../../src/local/dynamo';

/**
 * Per operation: ms per request as the SDK caller sees it and as dynalite serves it (p50), and
 * the CPU ms this process spent per request (SDK and dynalite together; unlike the wall times it
 * does not grow when other processes take the cores).
 */
export type DynaliteCost = Record<string, { clientMs: number; serverMs: number; cpuMs: number }>;

/** Sends `n` requests of each kind, one at a time, and reports their median cost. */
export async function measureDynaliteCost(harness: Harness, n = 100): Promise<DynaliteCost> {
  const client = new DynamoDBClient({ endpoint: harness.dynamoEndpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  const doc = DynamoDBDocumentClient.from(client);
  const TableName = harness.tableName;
  const pk = 'C#bench-cost#c1';
  const text = '가'.repeat(400);
  const out: DynaliteCost = {};
  try {
    // A partition of 50 messages for the Query (the window's page size).
    for (let i = 0; i < 50; i++) {
      await doc.send(new PutCommand({ TableName, Item: { pk, sk: `M#${String(i).padStart(13, '0')}#0#m${i}`, text, role: 'user' } }));
    }
    const ops: Record<string, (i: number) => object> = {
      GetItem: (i) => new GetCommand({ TableName, Key: { pk: 'U#bench-cost', sk: `R#r${i % 10}` }, ConsistentRead: true }),
      PutItem: (i) => new PutCommand({ TableName, Item: { pk: 'U#bench-cost', sk: `I#claim-${i}`, text }, ConditionExpression: 'attribute_not_exists(pk)' }),
      UpdateItem: (i) => new UpdateCommand({
        TableName,
        Key: { pk, sk: 'M#0000000000000#1#reply' },
        UpdateExpression: 'SET #t = :t, checkpointAt = :c',
        ExpressionAttributeNames: { '#t': 'text' },
        ExpressionAttributeValues: { ':t': text, ':c': i },
      }),
      BatchWriteItem: (i) => new BatchWriteCommand({
        RequestItems: { [TableName]: [0, 1].map((k) => ({ PutRequest: { Item: { pk: 'U#bench-cost', sk: `X#${i}-${k}`, text } } })) },
      }),
      Query: () => new QueryCommand({
        TableName,
        KeyConditionExpression: 'pk = :p AND begins_with(sk, :m)',
        ExpressionAttributeValues: { ':p': pk, ':m': 'M#' },
        ScanIndexForward: false,
        Limit: 50,
        ConsistentRead: true,
      }),
    };
    for (const [op, make] of Object.entries(ops)) {
      const seen: number[] = [];
      harness.profile.start();
      const cpu = process.cpuUsage();
      for (let i = 0; i < n; i++) {
        const t = performance.now();
        await doc.send(make(i) as any);
        seen.push(performance.now() - t);
      }
      const used = process.cpuUsage(cpu);
      const served = Object.values(harness.profile.stop(n).dynamoByItem)[0];
      const cpuMs = (used.user + used.system) / 1000 / n;
      out[op] = { clientMs: round(percentile(seen, 50), 2), serverMs: round(served?.p50Ms ?? NaN, 2), cpuMs: round(cpuMs, 2) };
    }
  } finally {
    doc.destroy();
  }
  return out;
}
