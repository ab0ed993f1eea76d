/**
 * The bench's own measuring tools: if these are wrong, every figure in the README is.
 */
import { DynamoDBClient, PutItemCommand, ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
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
