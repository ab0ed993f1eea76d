/**
 * The bench's own measuring tools: if these are wrong, every figure in the README is.
 */
import { DynamoDBClient, GetItemCommand, PutItemCommand, ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { BenchBrain } from './lib/bench-brain';
import { cpuBudget, describeRequest } from './lib/profile';
import { pythonJsonDumps } from './lib/seed-protocol';
import { percentile } from './lib/stats';
import { koreanText, tokenize } from './lib/text';
import { startThrottlingProxy, ThrottlingProxy } from './lib/throttling-proxy';
import { frameHeaderBytes } from './lib/wire-client';
import { LOCAL_CREDENTIALS, LOCAL_REGION, LocalDynamo, startDynamo } from '../../src/local/dynamo';

test('percentiles are nearest-rank: every reported value was observed', () => {
  const samples = Array.from({ length: 100 }, (_, i) => 100 - i); // 100..1, unsorted order
  expect(percentile(samples, 50)).toBe(50);
  expect(percentile(samples, 99)).toBe(99);
  expect(percentile(samples, 100)).toBe(100);
  expect(percentile([7], 99)).toBe(7);
  expect(percentile([], 50)).toBeNaN();
});

test('the WebSocket header of a server frame is counted at each length boundary (RFC 6455)', () => {
  expect([0, 125, 126, 65_535, 65_536].map(frameHeaderBytes)).toEqual([2, 2, 4, 4, 10]);
});

test('the seed port serializes as Python json.dumps: ASCII escapes, lowercase hex, spaced separators', () => {
  // The string Python 3 prints for json.dumps({'request_id': 'a', 'msg': '서울 😀 "q"'}).
  expect(pythonJsonDumps({ request_id: 'a', msg: '서울 😀 "q"' })).toBe('{"request_id": "a", "msg": "\\uc11c\\uc6b8 \\ud83d\\ude00 \\"q\\""}');
  // Each Hangul syllable weighs 6 bytes on the seed's wire, and the text survives the round trip.
  const text = koreanText(100);
  const body = pythonJsonDumps({ msg: text });
  expect(JSON.parse(body).msg).toBe(text);
  expect(Buffer.byteLength(body)).toBeGreaterThan(Buffer.byteLength(JSON.stringify({ msg: text })));
});

test('answers are cut into tokens that rebuild the exact text', () => {
  const text = koreanText(2000);
  expect([...text].length).toBe(2000);
  const tokens = tokenize(text, 2);
  expect(tokens).toHaveLength(1000);
  expect(tokens.join('')).toBe(text);
});

describe('DynamoDB throttling proxy', () => {
  let dynamo: LocalDynamo;
  let proxy: ThrottlingProxy;
  beforeAll(async () => {
    dynamo = await startDynamo({});
    proxy = await startThrottlingProxy({ target: dynamo.endpoint, everyNthWrite: 2, exhaust: 1, exhaustOperations: ['PutItem'] });
  });
  afterAll(async () => {
    await proxy.close();
    await dynamo.close();
  });

  test('a write the exhaustIf filter refuses is throttled once, never exhausted', async () => {
    const only = await startThrottlingProxy({
      target: dynamo.endpoint, everyNthWrite: 1, exhaust: 1, exhaustIf: (body) => body.includes('"exhaust-me"'),
    });
    const client = new DynamoDBClient({ endpoint: only.endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, maxAttempts: 3 });
    const item = (sk: string) => new PutItemCommand({ TableName: dynamo.tableName, Item: { pk: { S: 'f' }, sk: { S: sk } } });
    try {
      expect((await client.send(item('spare-me'))).$metadata.attempts).toBe(2);
      await expect(client.send(item('exhaust-me'))).rejects.toBeInstanceOf(ProvisionedThroughputExceededException);
      expect(only.stats.exhaustedWrites).toBe(1);
    } finally {
      client.destroy();
      await only.close();
    }
  });

  const put = (client: DynamoDBClient, i: number) => client.send(new PutItemCommand({
    TableName: dynamo.tableName, Item: { pk: { S: `p${i}` }, sk: { S: 's' } },
  }));

  test('the real SDK meets ProvisionedThroughputExceededException, gives up on an exhausted write and retries the others to success', async () => {
    const client = new DynamoDBClient({ endpoint: proxy.endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, maxAttempts: 3 });
    try {
      await put(client, 1); // 1st distinct write: passes
      await expect(put(client, 2)).rejects.toBeInstanceOf(ProvisionedThroughputExceededException); // 2nd: exhausted
      await put(client, 3); // 3rd: passes
      const fourth = await put(client, 4); // 4th: refused once, retried by the SDK
      expect(fourth.$metadata.attempts).toBe(2);
      expect(proxy.stats.exhaustedWrites).toBe(1);
      expect(proxy.stats.throttled).toBe(3 + 1);
    } finally {
      client.destroy();
    }
  });
});

describe('bench brain holds', () => {
  const request = (key: string) => ({
    modelId: 'm',
    system: [],
    inferenceConfig: {},
    streaming: true,
    messages: [{ role: 'user' as const, content: [{ text: `hi [[t:${key}]]` }] }],
  });
  const pieces = ['a', 'b', 'c', 'd'];

  test('a held stream produces its first pieces, then nothing until released, then the rest', async () => {
    const brain = new BenchBrain({ tokens: [], firstTokenMs: 0, intervalMs: 0 });
    brain.define('k', { tokens: pieces, firstTokenMs: 0, intervalMs: 0, holdAfterTokens: 2 });
    const gen = await brain.converse(request('k'), new AbortController().signal);
    expect((await gen.next()).value).toBe('a');
    expect((await gen.next()).value).toBe('b');
    const third = gen.next();
    await brain.held('k');
    const early = await Promise.race([third, new Promise((r) => setImmediate(() => r('still held')))]);
    expect(early).toBe('still held');
    brain.release('k');
    expect((await third).value).toBe('c');
    expect((await gen.next()).value).toBe('d');
    expect((await gen.next()).done).toBe(true);
    expect(brain.record('k').holdEnded).toBe('released');
  });

  test('a held stream that is never released ends when the caller aborts it', async () => {
    const brain = new BenchBrain({ tokens: [], firstTokenMs: 0, intervalMs: 0 });
    brain.define('s', { tokens: pieces, firstTokenMs: 0, intervalMs: 0, holdAfterTokens: 1 });
    const abort = new AbortController();
    const gen = await brain.converse(request('s'), abort.signal);
    expect((await gen.next()).value).toBe('a');
    const next = gen.next();
    await brain.held('s');
    abort.abort();
    expect((await next).done).toBe(true);
    expect(brain.record('s').holdEnded).toBe('aborted');
    expect(brain.record('s').produced).toBe(1);
  });
});

describe('stack profile', () => {
  test('requests are named by operation, item kind and the attributes an update touches', () => {
    const body = (o: object) => Buffer.from(JSON.stringify(o));
    expect(describeRequest('GetItem', body({ Key: { pk: { S: 'U#u' }, sk: { S: 'R#r1' } } }))).toBe('GetItem reply-pointer');
    expect(describeRequest('UpdateItem', body({
      Key: { pk: { S: 'C#u#c' }, sk: { S: 'M#1#1#r' } }, UpdateExpression: 'SET #t = :t, checkpointAt = :c', ExpressionAttributeNames: { '#t': 'text' },
    }))).toBe('UpdateItem message [text,checkpointAt]');
    expect(describeRequest('UpdateItem', body({ Key: { sk: { S: 'C#c' } }, UpdateExpression: 'SET updatedAt = :a REMOVE leaseUntil, leaseReplyId' })))
      .toBe('UpdateItem conversation [updatedAt,leaseUntil,leaseReplyId]');
    expect(describeRequest('BatchWriteItem', body({
      RequestItems: { t: [{ PutRequest: { Item: { sk: { S: 'M#1' } } } }, { DeleteRequest: { Key: { sk: { S: 'P#m#00' } } } }] },
    }))).toBe('BatchWriteItem Put message+Delete part');
    expect(describeRequest('Query', body({ ExpressionAttributeValues: { ':p': { S: 'C#u#c' } } }))).toBe('Query messages');
    expect(describeRequest('Query', body({ IndexName: 'byUpdated' }))).toBe('Query byUpdated');
    expect(describeRequest('GetItem', Buffer.from('not json'))).toBe('GetItem');
  });

  test('dynalite reports every request it answers to the observer', async () => {
    const seen: string[] = [];
    const dynamo = await startDynamo({ observe: (op, b, ms) => { if (ms >= 0) seen.push(describeRequest(op, b)); } });
    const client = new DynamoDBClient({ endpoint: dynamo.endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
    try {
      seen.length = 0; // the table's creation
      await client.send(new PutItemCommand({ TableName: dynamo.tableName, Item: { pk: { S: 'U#u' }, sk: { S: 'I#m1' } } }));
      await client.send(new GetItemCommand({ TableName: dynamo.tableName, Key: { pk: { S: 'U#u' }, sk: { S: 'I#m1' } } }));
      expect(seen).toEqual(['PutItem claim', 'GetItem claim']);
    } finally {
      client.destroy();
      await dynamo.close();
    }
  });
});

test('the CPU floor of a step is its CPU time spread over every core, whatever the turns', () => {
  // 200 turns of 150 ms on 2 cores: 30 s of CPU, no less than 15 s of wall time.
  expect(cpuBudget(30_000, 200, 2)).toEqual({ ms: 30_000, msPerTurn: 150, cores: 2, floorMs: 15_000 });
  expect(cpuBudget(30_000, 100, 2).floorMs).toBe(15_000);
  expect(cpuBudget(30_000, 200, 4)).toMatchObject({ msPerTurn: 150, floorMs: 7_500 });
  expect(cpuBudget(1, 3, 1)).toEqual({ ms: 1, msPerTurn: 0.33, cores: 1, floorMs: 1 });
  expect(() => cpuBudget(10, 0, 2)).toThrow(/turns \(0\)/);
  expect(() => cpuBudget(10, 5, 0)).toThrow(/cores \(0\)/);
});
