import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { DEFAULT_MODEL_ID as DEFAULT_BEDROCK_MODEL_ID, DEFAULT_TITLE_MODEL_ID as DEFAULT_BEDROCK_TITLE_MODEL_ID } from '../../src/contract/models';
import { LocalStackError, OFFLINE_MODEL_ID, selectModel } from '../../src/local/model-choice';
import { startLocalStack } from '../../src/local/stack';

// Which model `--model` picks. Credentials come from the SDK's own default chain, so these tests
// steer it through the environment (jest gives each test file its own process.env).

function noCredentials() {
  for (const k of Object.keys(process.env)) if (k.startsWith('AWS_')) delete process.env[k];
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
  process.env.AWS_CONFIG_FILE = path.join(os.tmpdir(), 'no-such-aws-config');
  process.env.AWS_SHARED_CREDENTIALS_FILE = path.join(os.tmpdir(), 'no-such-aws-credentials');
}

function someCredentials() {
  noCredentials();
  process.env.AWS_ACCESS_KEY_ID = 'AKIAEXAMPLEEXAMPLE00';
  process.env.AWS_SECRET_ACCESS_KEY = 'example-secret';
}

describe('model selection', () => {
  test('auto without credentials falls back to the offline model and says why', async () => {
    noCredentials();
    const m = await selectModel({ model: 'auto' });
    expect(m).toMatchObject({ provider: 'offline', modelId: OFFLINE_MODEL_ID });
    expect(m.brain).toBeDefined();
    expect(m.description).toMatch(/offline.*no AWS credentials/);
  });

  test('bedrock without credentials is a LocalStackError naming the fix', async () => {
    noCredentials();
    await expect(selectModel({ model: 'bedrock' })).rejects.toBeInstanceOf(LocalStackError);
    await expect(selectModel({ model: 'bedrock' })).rejects.toThrow(/--model offline/);
  });

  test('auto with credentials is real Bedrock: no local model server, region and model id from flags or defaults', async () => {
    someCredentials();
    const m = await selectModel({ model: 'auto', region: 'ap-northeast-2' });
    expect(m).toMatchObject({ provider: 'bedrock', modelId: DEFAULT_BEDROCK_MODEL_ID, region: 'ap-northeast-2' });
    expect(m.brain).toBeUndefined();
    process.env.AWS_REGION = 'eu-central-1';
    expect(await selectModel({ model: 'bedrock', modelId: 'eu.amazon.nova-lite-v1:0' })).toMatchObject({ region: 'eu-central-1', modelId: 'eu.amazon.nova-lite-v1:0' });
  });

  test('a stack on real Bedrock gives the chat handler no Bedrock endpoint, leaves process.env alone and says bedrock in config.json', async () => {
    someCredentials();
    process.env.BEDROCK_ENDPOINT = 'http://127.0.0.1:9/left-over';
    const stack = await startLocalStack({ port: 0, inMemory: true, model: 'auto', region: 'us-west-2', log: () => undefined });
    try {
      expect(stack.modelProvider).toBe('bedrock');
      const chat = stack.environment.chat;
      expect(chat.aws.bedrockEndpoint).toBeUndefined();
      expect(chat.aws.region).toBe('us-west-2');
      expect(chat.modelId).toBe(DEFAULT_BEDROCK_MODEL_ID);
      expect(chat.titleModelId).toBe(DEFAULT_BEDROCK_TITLE_MODEL_ID);
      // The handlers are built from the stack's own configuration, never through process.env.
      expect(process.env.BEDROCK_ENDPOINT).toBe('http://127.0.0.1:9/left-over');
      expect(process.env.MODEL_ID).toBeUndefined();
      expect(process.env.TABLE_NAME).toBeUndefined();
      expect((await (await fetch(`${stack.url}/config.json`)).json()).model).toEqual({ provider: 'bedrock', modelId: DEFAULT_BEDROCK_MODEL_ID });
    } finally {
      await stack.close();
    }
  });

  test('auto without credentials offers offline and offline-fast (5× --offline-cps), offline the default, both on the local model server', async () => {
    noCredentials();
    const m = await selectModel({ offlineCps: 10 });
    expect(m.models).toEqual([
      { provider: 'offline', modelId: 'offline', label: { ko: '오프라인 데모', en: 'Offline demo' } },
      { provider: 'offline', modelId: 'offline-fast', label: { ko: '오프라인 데모 (빠름)', en: 'Offline demo (fast)' } },
    ]);
    expect(m.description).toMatch(/offline-fast \(also offered; the demo model at 50 characters a second\)/);
    const answer = await m.brain!.converse({ modelId: 'offline-fast', messages: [{ role: 'user', content: [{ text: 'hi' }] }], system: [], inferenceConfig: {}, streaming: false }, new AbortController().signal);
    expect((await answer.next()).value).toBe('hi');
  });

  test('a list: the first is the default; Bedrock entries need credentials and then go through the local model server', async () => {
    noCredentials();
    await expect(selectModel({ model: ['offline', 'bedrock:eu.amazon.nova-lite-v1:0'] })).rejects.toThrow(/--model bedrock:eu\.amazon\.nova-lite-v1:0 needs AWS credentials/);
    someCredentials();
    const m = await selectModel({ model: ['bedrock', 'offline,bedrock:eu.amazon.nova-lite-v1:0=Nova'], region: 'eu-west-1' });
    try {
      expect(m).toMatchObject({ provider: 'bedrock', modelId: DEFAULT_BEDROCK_MODEL_ID, titleModelId: DEFAULT_BEDROCK_TITLE_MODEL_ID, region: 'eu-west-1' });
      expect(m.models.map((x) => [x.provider, x.modelId, x.label.en])).toEqual([
        ['bedrock', DEFAULT_BEDROCK_MODEL_ID, 'claude-sonnet-4-5 (Bedrock, paid)'],
        ['offline', 'offline', 'Offline demo'],
        ['bedrock', 'eu.amazon.nova-lite-v1:0', 'Nova'],
      ]);
      expect(m.brain).toBeDefined();
      expect(m.description.split('\n')).toHaveLength(4);
      // An id the stack does not offer is refused as Bedrock refuses an unknown model.
      await expect(m.brain!.converse({ modelId: 'other', messages: [], system: [], inferenceConfig: {}, streaming: true }, new AbortController().signal))
        .rejects.toMatchObject({ type: 'resourceNotFoundException', message: expect.stringContaining('serves no model "other"') });
    } finally {
      m.close?.();
    }
  });

  test('the same model twice, or a bad list, is a LocalStackError before anything starts', async () => {
    noCredentials();
    await expect(selectModel({ model: 'offline,offline' })).rejects.toThrow(/names the model "offline" twice/);
    await expect(selectModel({ model: 'openai:m@http://a/v1,openai:m@http://b/v1' })).rejects.toThrow(/"m" twice/);
    await expect(selectModel({ model: 'offline,gpt' })).rejects.toBeInstanceOf(LocalStackError);
  });

  test('openai and offline need no credentials', async () => {
    noCredentials();
    expect(await selectModel({ model: 'openai' })).toMatchObject({ provider: 'openai', description: expect.stringContaining('http://127.0.0.1:11434/v1') });
    expect(await selectModel({ model: 'offline', offlineCps: 10 })).toMatchObject({ provider: 'offline' });
  });
});

test('a stack that cannot start (bedrock without credentials) releases its port and closes what it had started', async () => {
  noCredentials();
  const probe = net.createServer();
  const port = await new Promise<number>((r) => probe.listen(0, '127.0.0.1', () => r((probe.address() as net.AddressInfo).port)));
  await new Promise<void>((r) => probe.close(() => r()));
  await expect(startLocalStack({ port, inMemory: true, model: 'bedrock', log: () => undefined })).rejects.toBeInstanceOf(LocalStackError);
  // The port is free again: the failed start closed its server.
  const again = net.createServer();
  await new Promise<void>((resolve, reject) => { again.once('error', reject); again.listen(port, '127.0.0.1', () => resolve()); });
  await new Promise<void>((r) => again.close(() => r()));
});
