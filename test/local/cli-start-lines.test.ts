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

test('without AWS credentials: the offline model, and why', async () => {
  expect(await startLines([], offlineEnv(home))).toMatch(/^model: offline \(no AWS credentials found; no language model, replies quote your message\)$/m);
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
