import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeTableCommand, DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { TABLE_SCHEMA } from '../../src/contract/table-schema';
import { LOCAL_CREDENTIALS, LOCAL_REGION, startDynamo } from '../../src/local/dynamo';

describe('local dynamo (dynalite)', () => {
  test('creates the table with the construct key schema and the byUpdated GSI', async () => {
    const db = await startDynamo({ tableName: 'schema-check' });
    const client = new DynamoDBClient({ endpoint: db.endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
    try {
      const t = (await client.send(new DescribeTableCommand({ TableName: 'schema-check' }))).Table!;
      expect(t.TableStatus).toBe('ACTIVE');
      expect(t.KeySchema).toEqual([
        { AttributeName: TABLE_SCHEMA.partitionKey, KeyType: 'HASH' },
        { AttributeName: TABLE_SCHEMA.sortKey, KeyType: 'RANGE' },
      ]);
      const gsi = t.GlobalSecondaryIndexes!.find((g) => g.IndexName === TABLE_SCHEMA.updatedIndex.name)!;
      expect(gsi.KeySchema!.map((k) => k.AttributeName)).toEqual([TABLE_SCHEMA.updatedIndex.partitionKey, TABLE_SCHEMA.updatedIndex.sortKey]);
      expect(gsi.Projection!.ProjectionType).toBe('ALL');
    } finally {
      client.destroy();
      await db.close();
    }
  });

  test('an on-disk store keeps items across a close and a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dyn-'));
    try {
      let db = await startDynamo({ path: dir });
      let client = new DynamoDBClient({ endpoint: db.endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
      await client.send(new PutItemCommand({ TableName: db.tableName, Item: { pk: { S: 'a' }, sk: { S: 'b' }, v: { S: '안녕' } } }));
      client.destroy();
      await db.close();
      db = await startDynamo({ path: dir });
      client = new DynamoDBClient({ endpoint: db.endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
      const got = await client.send(new GetItemCommand({ TableName: db.tableName, Key: { pk: { S: 'a' }, sk: { S: 'b' } } }));
      expect(got.Item?.v.S).toBe('안녕');
      client.destroy();
      await db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
