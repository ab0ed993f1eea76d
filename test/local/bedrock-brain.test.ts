import { BedrockRuntimeClient, ConverseCommand, ConverseStreamCommand, ResourceNotFoundException, ThrottlingException } from '@aws-sdk/client-bedrock-runtime';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../src/local/dynamo';
import { bedrockBrain } from '../../src/local/model/bedrock';
import { routedBrain } from '../../src/local/model/routes';
import { offlineBrain, ScriptedBrain, startModelServer } from '../../src/local/model-server';

// A local stack offering Bedrock next to the offline model: the chat handler talks to the local
// model server, which sends Bedrock model ids on to Bedrock (here a second local model server
// stands in for it) and answers the others itself.

const bedrock = new ScriptedBrain();
let upstream: Awaited<ReturnType<typeof startModelServer>>;
let local: Awaited<ReturnType<typeof startModelServer>>;
let proxy: ReturnType<typeof bedrockBrain>;
let client: BedrockRuntimeClient;

beforeAll(async () => {
  upstream = await startModelServer(bedrock);
  proxy = bedrockBrain({ region: LOCAL_REGION, endpoint: upstream.endpoint, credentials: LOCAL_CREDENTIALS });
  local = await startModelServer(routedBrain(new Map([['anthropic.claude-x-v1:0', proxy], ['offline', offlineBrain({ cps: 1e6 })]])));
  client = new BedrockRuntimeClient({ endpoint: local.endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, maxAttempts: 1 });
});
afterAll(async () => {
  client.destroy();
  proxy.close();
  await local.close();
  await upstream.close();
});

async function stream(modelId: string, text: string) {
  const out = await client.send(new ConverseStreamCommand({
    modelId, system: [{ text: 'be brief. 지침: 존댓말' }], messages: [{ role: 'user', content: [{ text }] }], inferenceConfig: { maxTokens: 99 },
  }));
  let reply = '';
  let usage: unknown;
  let stopReason: string | undefined;
  for await (const e of out.stream!) {
    reply += e.contentBlockDelta?.delta?.text ?? '';
    usage = e.metadata?.usage ?? usage;
    stopReason = e.messageStop?.stopReason ?? stopReason;
  }
  return { reply, usage, stopReason };
}

test('a Bedrock model id goes on to Bedrock with its messages, system prompt and inference config; text, stop reason and usage come back', async () => {
  bedrock.script = { tokens: ['안녕', '하세요'], usage: { inputTokens: 7, outputTokens: 2 }, stopReason: 'max_tokens' };
  const r = await stream('anthropic.claude-x-v1:0', '인사해 줘');
  expect(r).toEqual({ reply: '안녕하세요', usage: { inputTokens: 7, outputTokens: 2, totalTokens: 9 }, stopReason: 'max_tokens' });
  expect(bedrock.requests.at(-1)).toMatchObject({
    modelId: 'anthropic.claude-x-v1:0',
    system: ['be brief. 지침: 존댓말'],
    inferenceConfig: { maxTokens: 99 },
    messages: [{ role: 'user', content: [{ text: '인사해 줘' }] }],
    streaming: true,
  });
});

test('the offline id is answered locally: Bedrock never sees it', async () => {
  const before = bedrock.requests.length;
  expect((await stream('offline', 'hello')).reply).toMatch(/^\[offline model\]/);
  expect(bedrock.requests.length).toBe(before);
});

test('titles (Converse, not streaming) go through too', async () => {
  bedrock.script = { title: '인사' };
  const out = await client.send(new ConverseCommand({ modelId: 'anthropic.claude-x-v1:0', messages: [{ role: 'user', content: [{ text: 't' }] }] }));
  expect(out.output?.message?.content?.[0].text).toBe('인사');
});

test('Bedrock\'s errors keep their kind (throttling is retried by the chat handler); an id not offered is ResourceNotFound', async () => {
  bedrock.script = { throttleFirst: 1 };
  await expect(stream('anthropic.claude-x-v1:0', 'x')).rejects.toBeInstanceOf(ThrottlingException);
  await expect(stream('anthropic.claude-x-v1:0', 'x')).resolves.toMatchObject({ stopReason: 'end_turn' });
  await expect(stream('anthropic.claude-other-v1:0', 'x')).rejects.toBeInstanceOf(ResourceNotFoundException);
  bedrock.script = { tokens: ['a', 'b', 'c'], failAfterTokens: 1 };
  await expect(stream('anthropic.claude-x-v1:0', 'x')).rejects.toMatchObject({ name: 'ModelStreamErrorException' });
});
