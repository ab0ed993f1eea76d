import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { login, newMessageId, openSocket } from './lib/chat';
import { checkOpenAiServer } from '../../src/local/model-choice';
import { LocalStack, startLocalStack } from '../../src/local/stack';
import { CLI, offlineEnv, startCli } from '../local/lib/cli-process';
import { FAKE_MODELS, FakeOpenAi, fakeOpenAi } from '../local/lib/fake-openai';

// What the developer sees on the terminal about the model: a warning at start when the chosen
// model cannot answer, and one line per model error while the stack runs (the handlers' own logs
// are quiet locally).

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

describe('the OpenAI-compatible server is checked at start', () => {
  let fake: FakeOpenAi;
  beforeAll(async () => { fake = await fakeOpenAi(); });
  afterAll(async () => fake?.close());

  test('a server that lists the model: no warning', async () => {
    expect(await checkOpenAiServer(fake.baseUrl, FAKE_MODELS[0])).toBeUndefined();
  });

  test('a server without the model: a warning naming the model and what it has', async () => {
    const warning = await checkOpenAiServer(fake.baseUrl, 'llama-nope');
    expect(warning).toMatch(/^warning: .* has no model "llama-nope" \(it has qwen-test, qwen2\.5:7b\).*ollama pull llama-nope/);
  });

  test('nothing listening: a warning saying so and how to fix it', async () => {
    const base = `http://127.0.0.1:${await closedPort()}/v1`;
    const warning = await checkOpenAiServer(base, 'm');
    expect(warning).toContain(`nothing answers at ${base} (ECONNREFUSED)`);
    expect(warning).toMatch(/ollama serve.*--openai-base-url/);
  });
});

describe('--model openai with nothing listening', () => {
  let stack: LocalStack;
  const logged: string[] = [];
  let base: string;

  beforeAll(async () => {
    base = `http://127.0.0.1:${await closedPort()}/v1`;
    stack = await startLocalStack({ port: 0, inMemory: true, model: 'openai', openaiBaseUrl: base, log: (l) => logged.push(l) });
  });
  afterAll(async () => stack?.close());

  test('the stack starts with a warning, and the failed reply is logged with its cause on the terminal', async () => {
    expect(stack.modelWarning).toContain(`nothing answers at ${base}`);
    const token = await login(stack.url, 'alice');
    const s = await openSocket(stack.wsUrl, token);
    try {
      const messageId = newMessageId();
      s.send({ action: 'sendMessage', messageId, text: '안녕하세요?' });
      const accepted = await s.next((f) => f.messageId === messageId);
      expect(accepted.type).toBe('accepted');
      const error = await s.next((f) => f.type === 'error' && f.replyId === accepted.replyId);
      expect(error.code).toMatch(/^MODEL_/);
      // Both lines are written before the client is told.
      expect(logged).toEqual(expect.arrayContaining([
        expect.stringMatching(new RegExp(`^model error \\(serviceUnavailableException\\): Cannot reach the OpenAI-compatible server at ${base.replace(/[.]/g, '\\.')}`)),
        `reply error ${error.code} (reply ${accepted.replyId}): ${error.message}`,
      ]));
    } finally {
      s.ws.close();
    }
  });
});

test('the CLI prints the warning on stderr and still starts', async () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'model-feedback-'));
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npx projen bundle\` first`);
  const base = `http://127.0.0.1:${await closedPort()}/v1`;
  const cli = await startCli([process.execPath, CLI, 'dev', '--port', '0', '--in-memory', '--model', 'openai', '--openai-base-url', base],
    { cwd: home, env: offlineEnv(home) });
  try {
    expect(cli.stdout()).toMatch(new RegExp(`^model: openai qwen2\\.5:7b at ${base.replace(/[.]/g, '\\.')} \\(--model openai\\)$`, 'm'));
    // The warning is written before the ready line, on the other pipe.
    while (!/warning: nothing answers/.test(cli.stderr())) await new Promise((r) => setTimeout(r, 50));
    expect(cli.stderr()).toContain(`cdk-streaming-chatbot: warning: nothing answers at ${base} (ECONNREFUSED)`);
  } finally {
    expect(await cli.stop()).toBe(0);
    fs.rmSync(home, { recursive: true, force: true });
  }
});
