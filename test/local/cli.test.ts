import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { CLI, offlineEnv, runCli, startCli } from './lib/cli-process';

// The bundled bin, run as a user runs it. `npx projen test` bundles it before jest.

let home: string;
beforeAll(() => {
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npx projen bundle\` first`);
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-'));
});
afterAll(() => fs.rmSync(home, { recursive: true, force: true }));

/** A one-line error: exactly one non-empty stderr line, no stack frames. */
function expectOneLineError(stderr: string, pattern: RegExp) {
  const lines = stderr.split('\n').filter((l) => l.trim() !== '');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^cdk-streaming-chatbot: /);
  expect(lines[0]).toMatch(pattern);
  expect(stderr).not.toMatch(/\n\s+at /);
}

describe('cdk-streaming-chatbot CLI', () => {
  test('dev --help lists every flag of the local stack', async () => {
    const r = await runCli(['dev', '--help'], { cwd: home, env: offlineEnv(home) });
    expect(r.code).toBe(0);
    for (const flag of ['--port', '--host', '--data-dir', '--in-memory', '--model', '--model-id', '--region', '--openai-base-url', '--offline-cps']) {
      expect(r.stdout).toContain(flag);
    }
    expect(r.stdout).toMatch(/auto.*bedrock.*openai.*offline/s);
  });

  test('prints one ready line with the real port for --port 0, says which model, and stops cleanly on SIGINT', async () => {
    const cli = await startCli([process.execPath, CLI, 'dev', '--port', '0', '--in-memory'], { cwd: home, env: offlineEnv(home) });
    try {
      expect(cli.readyLine).toMatch(/^cdk-streaming-chatbot ready at http:\/\/127\.0\.0\.1:(\d+)\b/);
      expect(cli.url).not.toMatch(/:0$/);
      expect(cli.stdout()).toMatch(/^model: offline/m);
      const config = await (await fetch(`${cli.url}/config.json`)).json();
      expect(config).toMatchObject({ auth: { mode: 'local' }, model: { provider: 'offline' }, apiUrl: '/api', webSocketUrl: `${cli.url.replace('http', 'ws')}/ws` });
    } finally {
      expect(await cli.stop()).toBe(0);
    }
    expect(cli.stdout().split('\n').filter((l) => /ready/.test(l))).toHaveLength(1);
    expect(cli.stdout()).toMatch(/stopped/);
    expect(cli.stderr()).toBe('');
  });

  test('Ctrl-C arriving the instant the ready line is written still shuts down cleanly (exit 0, store flushed)', async () => {
    // A script that waits for the ready line may stop the stack at once. Deterministically: the
    // CLI signals itself from inside the very write of its ready line (a --require preload).
    const preload = path.join(home, 'sigint-on-ready.js');
    fs.writeFileSync(preload, `const write = process.stdout.write.bind(process.stdout);
process.stdout.write = (chunk, ...rest) => {
  const r = write(chunk, ...rest);
  if (String(chunk).includes('ready at')) process.kill(process.pid, 'SIGINT');
  return r;
};
`);
    const r = await runCli(['dev', '--port', '0', '--data-dir', path.join(home, 'ctrl-c'), '--model', 'offline'],
      { cwd: home, env: { ...offlineEnv(home), NODE_OPTIONS: `--require ${preload}` } });
    expect(r.stdout).toMatch(/ready at/);
    expect(r.stdout).toMatch(/stopped/);
    expect(r.code).toBe(0);
  });

  test('a port in use is a one-line error', async () => {
    const blocker = net.createServer();
    const port = await new Promise<number>((r) => blocker.listen(0, '127.0.0.1', () => r((blocker.address() as net.AddressInfo).port)));
    try {
      const r = await runCli(['dev', '--port', String(port), '--in-memory'], { cwd: home, env: offlineEnv(home) });
      expect(r.code).toBe(1);
      expectOneLineError(r.stderr, new RegExp(`Port ${port} .*already in use`));
    } finally {
      blocker.close();
    }
  });

  test('an unwritable data dir is a one-line error', async () => {
    const file = path.join(home, 'a-file');
    fs.writeFileSync(file, '');
    const r = await runCli(['dev', '--port', '0', '--data-dir', path.join(file, 'data')], { cwd: home, env: offlineEnv(home) });
    expect(r.code).toBe(1);
    expectOneLineError(r.stderr, /Cannot write to the data dir .*a-file/);
  });

  test('a data dir held by a running stack is a one-line error; it is free again once that stack ends, even by SIGKILL', async () => {
    const dataDir = path.join(home, 'shared-data');
    const args = ['dev', '--port', '0', '--data-dir', dataDir, '--model', 'offline'];
    const first = await startCli([process.execPath, CLI, ...args], { cwd: home, env: offlineEnv(home) });
    let firstKilled = false;
    try {
      const r = await runCli(args, { cwd: home, env: offlineEnv(home) });
      expect(r.code).toBe(1);
      expectOneLineError(r.stderr, new RegExp(`data dir .*shared-data is in use by another running stack \\(pid ${first.proc.pid}\\)`));
      // The refused start changed nothing: the first stack still answers.
      expect((await fetch(`${first.url}/config.json`)).status).toBe(200);
      // A stack killed without its shutdown leaves its lock behind; a dead pid does not hold the dir.
      const gone = new Promise((resolve) => first.proc.once('exit', resolve));
      process.kill(first.proc.pid!, 'SIGKILL');
      await gone;
      firstKilled = true;
    } finally {
      if (!firstKilled) await first.stop();
    }
    const second = await startCli([process.execPath, CLI, ...args], { cwd: home, env: offlineEnv(home) });
    expect(await second.stop()).toBe(0);
    expect(second.stderr()).toBe('');
  });

  test('--model bedrock without AWS credentials is a one-line error', async () => {
    const r = await runCli(['dev', '--port', '0', '--in-memory', '--model', 'bedrock'], { cwd: home, env: offlineEnv(home) });
    expect(r.code).toBe(1);
    expectOneLineError(r.stderr, /--model bedrock needs AWS credentials/);
  });

  test('a bad flag value is refused before anything starts', async () => {
    const r = await runCli(['dev', '--port', '70000'], { cwd: home, env: offlineEnv(home) });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/--port/);
    const m = await runCli(['dev', '--model', 'gpt'], { cwd: home, env: offlineEnv(home) });
    expect(m.code).not.toBe(0);
    expect(m.stderr).toMatch(/--model "gpt": unknown kind "gpt" \(forms: auto, offline, /);
    // A list is checked as a whole (auto stands alone) before the stack starts too.
    const list = await runCli(['dev', '--model', 'offline', '--model', 'auto'], { cwd: home, env: offlineEnv(home) });
    expect(list.code).toBe(1);
    expectOneLineError(list.stderr, /--model auto stands alone/);
  });
});
