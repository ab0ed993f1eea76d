import { execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { offlineEnv } from '../local/lib/cli-process';

// The README's command, typed as a user types it on a fresh clone: `cd examples && npx cdk synth`.
// A fresh clone is the tracked files only (no assets/, no lib/, no cdk.out); node_modules stands in
// for `npm ci`. It runs in a copy so the bundle it builds never rewrites this checkout's assets
// while other tests read them.

const ROOT = path.join(__dirname, '..', '..');

let clone: string;
beforeAll(() => {
  clone = fs.mkdtempSync(path.join(os.tmpdir(), 'fresh-clone-'));
  const files = execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' }).split('\0').filter((f) => f.length > 0);
  for (const file of files) {
    const from = path.join(ROOT, file);
    if (!fs.existsSync(from)) continue; // deleted in the working tree, not yet committed
    fs.mkdirSync(path.dirname(path.join(clone, file)), { recursive: true });
    fs.copyFileSync(from, path.join(clone, file));
  }
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(clone, 'node_modules'), 'dir');
});
afterAll(() => fs.rmSync(clone, { recursive: true, force: true }));

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const proc = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (c) => { stdout += c; });
    proc.stderr.on('data', (c) => { stderr += c; });
    proc.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

test('`cd examples && npx cdk synth` works on a fresh clone and packages every handler and the web client', async () => {
  expect(fs.existsSync(path.join(clone, 'assets'))).toBe(false);
  const examples = path.join(clone, 'examples');
  const r = await run('npx', ['cdk', 'synth'], examples, { ...offlineEnv(clone), CI: 'true' });
  if (r.code !== 0) throw new Error(`npx cdk synth exited ${r.code}\nstdout: ${r.stdout.slice(-2000)}\nstderr: ${r.stderr.slice(-4000)}`);
  expect(r.stderr).not.toMatch(/Cannot find asset/);
  const out = path.join(examples, 'cdk.out');
  const template = JSON.parse(fs.readFileSync(path.join(out, 'StreamingChatbotExample.template.json'), 'utf8'));
  const functions = Object.values<any>(template.Resources).filter((res) => res.Type === 'AWS::Lambda::Function');
  expect(functions.length).toBeGreaterThanOrEqual(3);
  // Each handler asset staged from the bundle the build step made: an index.js per handler.
  const handlerAssets = fs.readdirSync(out).filter((d) => /^asset\..*\.lambda$/.test(d));
  expect(handlerAssets).toHaveLength(3);
  for (const dir of handlerAssets) expect(fs.statSync(path.join(out, dir, 'index.js')).size).toBeGreaterThan(1000);
  // The web client the construct uploads.
  expect(fs.readdirSync(out).some((d) => fs.existsSync(path.join(out, d, 'index.html')))).toBe(true);
}, 300_000);
