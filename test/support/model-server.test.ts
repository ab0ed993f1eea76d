import { BedrockRuntimeClient, ConverseCommand, ConverseStreamCommand, ModelStreamErrorException, ThrottlingException, AccessDeniedException } from '@aws-sdk/client-bedrock-runtime';
import { EventStreamCodec } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import { scaledClock } from '../../src/core/adapters/clock';
import { titleRequestText } from '../../src/core/prompts';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../src/local/dynamo';
import { offlineTitle } from '../../src/local/model/offline';
import { offlineBrain, offlineReplyText, ScriptedBrain, startModelServer } from '../../src/local/model-server';

async function drain(client: BedrockRuntimeClient, text: string, history: any[] = []) {
  const out = await client.send(new ConverseStreamCommand({
    modelId: 'anthropic.claude-3-haiku-20240307-v1:0',
    messages: [...history, { role: 'user', content: [{ text }] }],
    system: [{ text: 'be brief' }],
  }));
  const events: string[] = [];
  let reply = '';
  let stopReason: string | undefined;
  let usage: any;
  for await (const e of out.stream!) {
    events.push(Object.keys(e).filter((k) => (e as any)[k] !== undefined)[0]);
    if (e.contentBlockDelta?.delta?.text) reply += e.contentBlockDelta.delta.text;
    if (e.messageStop) stopReason = e.messageStop.stopReason;
    if (e.metadata) usage = e.metadata.usage;
  }
  return { events, reply, stopReason, usage };
}

describe('local Bedrock ConverseStream server', () => {
  const brain = new ScriptedBrain();
  let server: Awaited<ReturnType<typeof startModelServer>>;
  let client: BedrockRuntimeClient;
  beforeAll(async () => {
    server = await startModelServer(brain);
    client = new BedrockRuntimeClient({ endpoint: server.endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, maxAttempts: 1 });
  });
  afterAll(async () => { client.destroy(); await server.close(); });

  test('the real SDK decodes the event stream: start, deltas, stop, metadata with usage', async () => {
    brain.script = { tokens: ['안녕', '하세요', '!'], usage: { inputTokens: 11, outputTokens: 3 }, stopReason: 'max_tokens' };
    const r = await drain(client, '안녕?');
    expect(r.reply).toBe('안녕하세요!');
    expect(r.events).toEqual(['messageStart', 'contentBlockDelta', 'contentBlockDelta', 'contentBlockDelta', 'contentBlockStop', 'messageStop', 'metadata']);
    expect(r.stopReason).toBe('max_tokens');
    expect(r.usage).toMatchObject({ inputTokens: 11, outputTokens: 3, totalTokens: 14 });
    expect(brain.requests.at(-1)!.system).toEqual(['be brief']);
  });

  test('throttling before the stream is a ThrottlingException from the SDK', async () => {
    const b = new ScriptedBrain({ throttleFirst: 1 });
    server.setBrain(b);
    await expect(drain(client, 'hi')).rejects.toBeInstanceOf(ThrottlingException);
    await expect(drain(client, 'hi')).resolves.toMatchObject({ stopReason: 'end_turn' });
    server.setBrain(brain);
  });

  test('access denied before the stream is an AccessDeniedException', async () => {
    server.setBrain(new ScriptedBrain({ failBefore: 'accessDeniedException' }));
    await expect(drain(client, 'hi')).rejects.toBeInstanceOf(AccessDeniedException);
    server.setBrain(brain);
  });

  test('a mid-stream failure arrives as ModelStreamErrorException after the first pieces', async () => {
    server.setBrain(new ScriptedBrain({ tokens: ['a', 'b', 'c', 'd'], failAfterTokens: 2 }));
    const seen: string[] = [];
    const out = await client.send(new ConverseStreamCommand({ modelId: 'm', messages: [{ role: 'user', content: [{ text: 'x' }] }] }));
    await expect((async () => {
      for await (const e of out.stream!) if (e.contentBlockDelta?.delta?.text) seen.push(e.contentBlockDelta.delta.text);
    })()).rejects.toBeInstanceOf(ModelStreamErrorException);
    expect(seen).toEqual(['a', 'b']);
    server.setBrain(brain);
  });

  test('roles that do not alternate are a ValidationException, as in Bedrock', async () => {
    await expect(client.send(new ConverseStreamCommand({
      modelId: 'm', messages: [{ role: 'assistant', content: [{ text: 'x' }] }, { role: 'user', content: [{ text: 'y' }] }],
    }))).rejects.toMatchObject({ name: 'ValidationException' });
  });

  test('the same port also serves HTTP/1.1 clients, in the same event-stream encoding', async () => {
    brain.script = { tokens: ['HTTP/', '1.1'] };
    const res = await fetch(`${server.endpoint}/model/m/converse-stream`, {
      method: 'POST', body: JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'h1' }] }] }),
    });
    expect(res.headers.get('content-type')).toBe('application/vnd.amazon.eventstream');
    const bytes = new Uint8Array(await res.arrayBuffer());
    const codec = new EventStreamCodec(toUtf8, fromUtf8);
    const events: string[] = [];
    let text = '';
    for (let at = 0; at < bytes.length;) {
      const length = new DataView(bytes.buffer, bytes.byteOffset + at).getUint32(0);
      const m = codec.decode(bytes.subarray(at, at + length));
      events.push(String(m.headers[':event-type'].value));
      const body = JSON.parse(toUtf8(m.body));
      if (body.delta?.text) text += body.delta.text;
      at += length;
    }
    expect(text).toBe('HTTP/1.1');
    expect(events).toEqual(['messageStart', 'contentBlockDelta', 'contentBlockDelta', 'contentBlockStop', 'messageStop', 'metadata']);
  });

  test('non-streaming Converse answers JSON the SDK parses', async () => {
    brain.script = { title: '인사 나누기' };
    const out = await client.send(new ConverseCommand({ modelId: 'm', messages: [{ role: 'user', content: [{ text: 'title?' }] }] }));
    expect(out.output?.message?.content?.[0].text).toBe('인사 나누기');
    expect(out.stopReason).toBe('end_turn');
    expect(out.usage?.outputTokens).toBeGreaterThan(0);
  });

  test('the offline brain states what it is, counts context, quotes 200 characters and answers Hangul in Korean', async () => {
    server.setBrain(offlineBrain({ cps: 1e6 }));
    const korean = '가'.repeat(250);
    const history = [{ role: 'user', content: [{ text: 'q1' }] }, { role: 'assistant', content: [{ text: 'a1' }] }];
    const r = await drain(client, korean, history);
    expect(r.reply.split('\n')[0]).toMatch(/^\[offline model\] context: 2 messages · 오프라인 데모 모델/);
    expect(r.reply).toContain('가'.repeat(200));
    expect(r.reply).not.toContain('가'.repeat(201));
    expect(r.reply).toContain('## 데모 답변 1');
    const en = await drain(client, '<img src=x onerror=alert(1)> hello');
    expect(en.reply).toContain('<img src=x onerror=alert(1)> hello');
    expect(en.reply).not.toMatch(/[\uAC00-\uD7A3]/);
    server.setBrain(brain);
  });

  test('the offline brain paces at cps on its clock (scaled clock: ~6 s of model time)', async () => {
    const clock = scaledClock(200);
    server.setBrain(offlineBrain({ cps: 50, clock }));
    const t0 = clock.now();
    const r = await drain(client, 'pace');
    const modelSeconds = (clock.now() - t0) / 1000;
    const chars = Array.from(offlineReplyText({ modelId: 'm', messages: [{ role: 'user', content: [{ text: 'pace' }] }], system: ['be brief'], inferenceConfig: {}, streaming: true })).length;
    expect(r.reply.length).toBe(chars);
    // 50 characters a second means the reply took about chars/50 seconds of model time.
    expect(modelSeconds).toBeGreaterThanOrEqual((chars - 4) / 50);
    server.setBrain(brain);
  });
});

describe('offline brain titles', () => {
  test('the title of the core title request is the first line of the question, at most 40 characters', async () => {
    const req = (text: string) => ({ modelId: 'm', messages: [{ role: 'user' as const, content: [{ text }] }], system: [], inferenceConfig: {}, streaming: false });
    expect(offlineTitle(req(titleRequestText('서울 날씨 알려줘\n자세히', '맑음')))).toBe('서울 날씨 알려줘');
    expect(offlineTitle(req(titleRequestText('가'.repeat(41), 'x')))).toBe('가'.repeat(40));
  });
});
