import { BedrockRuntimeClient, ConverseCommand, ConverseStreamCommand, ThrottlingException } from '@aws-sdk/client-bedrock-runtime';
import { fakeOpenAi } from './lib/fake-openai';
import { chatCompletionsBody, errorTypeForStatus, openaiBrain } from '../../src/local/model/openai';

// The real Bedrock Runtime client talks ConverseStream to the local model server with the
// `openai` brain, in front of an OpenAI-compatible server speaking real server-sent events.
import { startModelServer } from '../../src/local/model-server';

function bedrock(endpoint: string) {
  return new BedrockRuntimeClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 1 });
}

describe('openai brain', () => {
  test('streams an OpenAI-compatible answer as ConverseStream deltas, with its usage and system prompt', async () => {
    const fake = await fakeOpenAi();
    const model = await startModelServer(openaiBrain({ baseUrl: fake.baseUrl, apiKey: 'sk-local' }));
    const client = bedrock(model.endpoint);
    try {
      const out = await client.send(new ConverseStreamCommand({
        modelId: 'qwen2.5:7b',
        system: [{ text: '한국어로 답하세요.' }],
        messages: [
          { role: 'user', content: [{ text: '첫 질문' }] },
          { role: 'assistant', content: [{ text: '첫 답' }] },
          { role: 'user', content: [{ text: '안녕?' }] },
        ],
        inferenceConfig: { maxTokens: 100, temperature: 0.2 },
      }));
      const deltas: string[] = [];
      let stopReason: string | undefined;
      let usage: any;
      for await (const ev of out.stream!) {
        if (ev.contentBlockDelta?.delta?.text) deltas.push(ev.contentBlockDelta.delta.text);
        if (ev.messageStop) stopReason = ev.messageStop.stopReason;
        if (ev.metadata) usage = ev.metadata.usage;
      }
      expect(deltas).toEqual(['안녕', '하세요', '! 반갑', '습니다.']);
      expect(stopReason).toBe('end_turn');
      expect(usage).toMatchObject({ inputTokens: 21, outputTokens: 9 });
      const sent = fake.requests[0];
      expect(sent.url).toBe('/v1/chat/completions');
      expect(sent.auth).toBe('Bearer sk-local');
      expect(sent.body).toMatchObject({
        model: 'qwen2.5:7b',
        stream: true,
        max_tokens: 100,
        temperature: 0.2,
        messages: [
          { role: 'system', content: '한국어로 답하세요.' },
          { role: 'user', content: '첫 질문' },
          { role: 'assistant', content: '첫 답' },
          { role: 'user', content: '안녕?' },
        ],
      });
    } finally {
      client.destroy();
      await model.close();
      await fake.close();
    }
  });

  test('a length finish becomes max_tokens, a non-streaming Converse answers at once, and 429 becomes ThrottlingException', async () => {
    const fake = await fakeOpenAi();
    const model = await startModelServer(openaiBrain({ baseUrl: fake.baseUrl }));
    const client = bedrock(model.endpoint);
    try {
      fake.mode = 'length';
      const out = await client.send(new ConverseStreamCommand({ modelId: 'm', messages: [{ role: 'user', content: [{ text: 'hi' }] }] }));
      let stopReason: string | undefined;
      for await (const ev of out.stream!) if (ev.messageStop) stopReason = ev.messageStop.stopReason;
      expect(stopReason).toBe('max_tokens');
      fake.mode = 'stream';
      const title = await client.send(new ConverseCommand({ modelId: 'm', messages: [{ role: 'user', content: [{ text: 'title?' }] }] }));
      expect(title.output?.message?.content?.[0]?.text).toBe('짧은 제목');
      expect(title.usage).toMatchObject({ inputTokens: 7, outputTokens: 3 });
      expect(fake.requests[1].body.stream).toBe(false);
      fake.mode = 'throttle';
      await expect(client.send(new ConverseStreamCommand({ modelId: 'm', messages: [{ role: 'user', content: [{ text: 'hi' }] }] })))
        .rejects.toBeInstanceOf(ThrottlingException);
    } finally {
      client.destroy();
      await model.close();
      await fake.close();
    }
  });

  test('an unreachable server is reported as a service-unavailable error naming its URL', async () => {
    const brain = openaiBrain({ baseUrl: 'http://127.0.0.1:1/v1' });
    await expect(brain.converse({ modelId: 'm', messages: [{ role: 'user', content: [{ text: 'x' }] }], system: [], inferenceConfig: {}, streaming: true }, new AbortController().signal))
      .rejects.toMatchObject({ type: 'serviceUnavailableException', message: expect.stringContaining('http://127.0.0.1:1/v1/chat/completions') });
  });

  test('maps HTTP statuses and request fields the Bedrock way', () => {
    expect([429, 401, 403, 400, 404, 408, 500, 503].map(errorTypeForStatus)).toEqual([
      'throttlingException', 'accessDeniedException', 'accessDeniedException', 'validationException',
      'validationException', 'modelTimeoutException', 'serviceUnavailableException', 'serviceUnavailableException',
    ]);
    const body = chatCompletionsBody({ modelId: 'm', messages: [{ role: 'user', content: [{ text: 'a' }, { text: 'b' }] }], system: [], inferenceConfig: { topP: 0.5, stopSequences: ['END'] }, streaming: false });
    expect(body).toEqual({ model: 'm', messages: [{ role: 'user', content: 'ab' }], stream: false, top_p: 0.5, stop: ['END'] });
  });
});
