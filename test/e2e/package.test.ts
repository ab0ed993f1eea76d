import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { chat, login, openSocket } from './lib/chat';
import { CliProcess, offlineEnv, startCli } from '../local/lib/cli-process';

// The npm package as a user gets it: packed, installed into an empty project (no dev
// dependencies, no peers — the CLI needs neither), started with npx.

const ROOT = path.resolve(__dirname, '..', '..');
let dir: string;
let cli: CliProcess | undefined;

beforeAll(() => {
  for (const built of ['lib/index.js', 'assets/local/cli/index.js', 'assets/client/index.html', 'assets/handlers/chat.lambda/index.js']) {
    if (!fs.existsSync(path.join(ROOT, built))) throw new Error(`${built} is missing: run \`npx projen bundle && npx projen compile\` first`);
  }
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'package-'));
});
afterAll(async () => {
  await cli?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('the packed tarball installs into an empty project and `npx cdk-streaming-chatbot dev` streams a Korean reply', async () => {
  const env = offlineEnv(dir);
  // npm's own settings (cache, registry) stay as the machine has them.
  env.npm_config_cache = process.env.npm_config_cache ?? path.join(os.homedir(), '.npm');
  const packed = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', dir], { cwd: ROOT, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
  const files: string[] = packed[0].files.map((f: any) => f.path);
  expect(files).toEqual(expect.arrayContaining(['assets/local/cli/index.js', 'assets/client/index.html', 'node_modules/dynalite/package.json']));
  expect(files.some((f) => f.startsWith('src/') || f.startsWith('test/'))).toBe(false);

  const project = path.join(dir, 'consumer');
  fs.mkdirSync(project);
  fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }));
  execFileSync('npm', ['install', path.join(dir, packed[0].filename), '--legacy-peer-deps', '--offline', '--no-audit', '--no-fund'], { cwd: project, env, stdio: 'ignore' });
  expect(fs.readdirSync(path.join(project, 'node_modules'))).toEqual(['.bin', '.package-lock.json', 'cdk-streaming-chatbot'].filter((n) => fs.existsSync(path.join(project, 'node_modules', n))));

  cli = await startCli(['npx', 'cdk-streaming-chatbot', 'dev', '--port', '0', '--in-memory'], { cwd: project, env });
  expect(cli.readyLine).toMatch(/^cdk-streaming-chatbot ready at http:\/\/127\.0\.0\.1:\d+/);
  const token = await login(cli.url, '사용자');
  const s = await openSocket(`${cli.url.replace('http', 'ws')}/ws`, token);
  try {
    const reply = await chat(s, '패키지에서도 한국어로 대답하나요?');
    expect(reply.deltas.map((d) => d.seq)).toEqual(reply.deltas.map((_, i) => i));
    expect(reply.text).toContain('패키지에서도 한국어로 대답하나요?');
    // The filler is Korean too, because the message was.
    expect(reply.text.replace(/[^가-힣]/g, '').length).toBeGreaterThan(150);
    expect(reply.done.stopReason).toBe('end_turn');
  } finally {
    s.ws.close();
  }
  const index = await fetch(`${cli.url}/`);
  expect(index.status).toBe(200);
  const stopping = cli;
  cli = undefined;
  await stopping.stop();
  // npx itself dies of the SIGINT; the stack behind it shuts down cleanly and says so.
  expect(stopping.stdout()).toMatch(/cdk-streaming-chatbot: stopped/);
});
