import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CLI, offlineEnv, startCli } from './lib/cli-process';

// What `npm start` (the bundled CLI's `dev`) prints before its ready line: which model and why
// (the offline one without AWS credentials, Bedrock — paid — when credentials resolve), and the
// names it answers to when it listens beyond loopback.

let home: string;
beforeAll(() => {
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npx projen bundle\` first`);
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-lines-'));
});
afterAll(() => fs.rmSync(home, { recursive: true, force: true }));

async function startLines(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  const cli = await startCli([process.execPath, CLI, 'dev', '--port', '0', '--in-memory', ...args], { cwd: home, env });
  try {
    return cli.stdout();
  } finally {
    expect(await cli.stop()).toBe(0);
  }
}

test('without AWS credentials: the offline model and its fast twin, and why', async () => {
  const out = await startLines([], offlineEnv(home));
  expect(out).toMatch(/^model: offline \(no AWS credentials found; the demo model, no language model: a fixed Markdown answer around your message\)$/m);
  expect(out).toMatch(/^model: offline-fast \(also offered; the demo model at 500 characters a second\)$/m);
  expect(out).toMatch(/^models: offline \(default\), offline-fast; each conversation picks one in the client$/m);
});

test('several --model values: one line per model, warnings one line each on stderr', async () => {
  const cli = await startCli([process.execPath, CLI, 'dev', '--port', '0', '--in-memory', '--model', 'offline,openai:a@http://127.0.0.1:9/v1',
    '--model', 'openai:b@http://127.0.0.1:9/v1=Local B'], { cwd: home, env: offlineEnv(home) });
  try {
    expect(cli.stdout()).toMatch(/^model: offline \(--model offline; /m);
    expect(cli.stdout()).toMatch(/^model: openai a at http:\/\/127\.0\.0\.1:9\/v1 \(--model openai:a@http:\/\/127\.0\.0\.1:9\/v1\)$/m);
    expect(cli.stdout()).toMatch(/^models: offline \(default\), a, b; /m);
    const config = await (await fetch(`${cli.url}/config.json`)).json();
    expect(config.models).toEqual([
      { modelId: 'offline', label: { ko: '오프라인 데모', en: 'Offline demo' } },
      { modelId: 'a', label: { ko: 'a (로컬)', en: 'a (local)' } },
      { modelId: 'b', label: { ko: 'Local B', en: 'Local B' } },
    ]);
    expect(config).toMatchObject({ defaultModelId: 'offline', model: { provider: 'offline', modelId: 'offline' } });
  } finally {
    expect(await cli.stop()).toBe(0);
  }
  // Read once the process has closed its pipes.
  const warnings = cli.stderr().split('\n').filter((l) => l);
  expect(warnings).toHaveLength(2);
  for (const w of warnings) expect(w).toMatch(/^cdk-streaming-chatbot: warning: nothing answers at http:\/\/127\.0\.0\.1:9\/v1 /);
});

test('with AWS credentials: Bedrock, said to be found credentials and a paid model, with the way out', async () => {
  // Credentials that resolve; the stack does not call AWS until a message is sent.
  const env = { ...offlineEnv(home), AWS_ACCESS_KEY_ID: 'AKIAEXAMPLEEXAMPLE00', AWS_SECRET_ACCESS_KEY: 'example-secret', AWS_REGION: 'ap-northeast-2' };
  const out = await startLines([], env);
  expect(out).toMatch(/^model: bedrock \S+ in ap-northeast-2 \(AWS credentials found; a paid model: every message is billed to your AWS account, use --model offline/m);
});

test('--host 0.0.0.0 says which names it answers to (loopback and --allow-host)', async () => {
  const out = await startLines(['--host', '0.0.0.0', '--allow-host', 'mybox.lan', '--model', 'offline'], offlineEnv(home));
  const port = /ready at http:\/\/127\.0\.0\.1:(\d+)/.exec(out)![1];
  expect(out).toContain(`answers to: 127.0.0.1:${port}, localhost:${port}, [::1]:${port}, mybox.lan:${port} (--allow-host adds names)`);
});
