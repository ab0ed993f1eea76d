import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, GetItemCommand, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { LOCAL_CREDENTIALS, LOCAL_REGION, LocalDynamo, startDynamo } from '../../src/local/dynamo';

// dynalite runs in a worker thread (src/local/dynamo.ts): these check what crosses the thread
// boundary — the LevelDB store flushed by close(), start failures, and the observer's messages.

const clientOf = (db: LocalDynamo) => new DynamoDBClient({ endpoint: db.endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });

describe('dynalite in its worker thread', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'dyn-worker-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('a second start on the same data dir reads every item the first wrote before close()', async () => {
    const first = await startDynamo({ path: dir });
    let client = clientOf(first);
    // Written side by side and closed straight after the last answer: close() must flush them all.
    await Promise.all(Array.from({ length: 50 }, (_, i) => client.send(new PutItemCommand({
      TableName: first.tableName, Item: { pk: { S: 'C#worker' }, sk: { S: `M#${String(i).padStart(3, '0')}` }, text: { S: `메시지 ${i}` } },
    }))));
    client.destroy();
    await first.close();

    const second = await startDynamo({ path: dir });
    client = clientOf(second);
    try {
      const got = await client.send(new QueryCommand({
        TableName: second.tableName, KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': { S: 'C#worker' } }, ConsistentRead: true,
      }));
      expect(got.Items?.map((item) => item.text.S)).toEqual(Array.from({ length: 50 }, (_, i) => `메시지 ${i}`));
    } finally {
      client.destroy();
      await second.close();
    }
  });

  test('a data dir another running dynalite holds rejects the start with LevelDB\'s reason', async () => {
    const holder = await startDynamo({ path: dir });
    try {
      await expect(startDynamo({ path: dir })).rejects.toThrow(/local DynamoDB \(dynalite\) failed \(data in .*\): .*lock/i);
      // The holder still serves, its data untouched.
      const client = clientOf(holder);
      await client.send(new PutItemCommand({ TableName: holder.tableName, Item: { pk: { S: 'a' }, sk: { S: 'b' } } }));
      expect((await client.send(new GetItemCommand({ TableName: holder.tableName, Key: { pk: { S: 'a' }, sk: { S: 'b' } } }))).Item).toBeDefined();
      client.destroy();
    } finally {
      await holder.close();
    }
  });

  test('a data dir under a file rejects the start with the path', async () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, 'not a directory');
    await expect(startDynamo({ path: join(file, 'dynamodb') })).rejects.toThrow(/ENOTDIR.*a-file/);
  });

  test('a port in use rejects the start', async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', () => resolve()));
    try {
      const port = (taken.address() as net.AddressInfo).port;
      await expect(startDynamo({ port })).rejects.toThrow(/local DynamoDB \(dynalite\) failed: .*EADDRINUSE/);
    } finally {
      taken.close();
    }
  });

  test('observe receives each request with its body once observed() resolves; close() ends the server', async () => {
    const seen: Array<[string, string]> = [];
    const db = await startDynamo({ observe: (op, body) => seen.push([op, body.toString('utf8')]) });
    const client = clientOf(db);
    await db.observed();
    seen.length = 0; // the table's creation
    await client.send(new PutItemCommand({ TableName: db.tableName, Item: { pk: { S: 'U#u' }, sk: { S: 'I#한글' } } }));
    await db.observed();
    expect(seen).toHaveLength(1);
    expect(seen[0][0]).toBe('PutItem');
    expect(JSON.parse(seen[0][1]).Item.sk.S).toBe('I#한글');
    await db.close();
    await expect(client.send(new GetItemCommand({ TableName: db.tableName, Key: { pk: { S: 'U#u' }, sk: { S: 'I#한글' } } })))
      .rejects.toThrow(/ECONNREFUSED/);
    client.destroy();
  });
});
