/**
 * Measures the local stack as a user meets it: time from starting the bundled bin to its ready
 * line, and the resident memory of the idle stack (Linux /proc). Prints one JSON line.
 *
 *   npx projen bundle && npx ts-node --transpile-only --project tsconfig.dev.json test/local/measure-startup.ts
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CLI, offlineEnv, startCli } from './lib/cli-process';
import { chat, login, openSocket } from '../e2e/lib/chat';

const RUNS = Number(process.env.RUNS ?? 5);
const IDLE_MS = 3000;

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 102.4) / 10 : NaN;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function main(): Promise<void> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'measure-'));
  const ready: number[] = [];
  const idle: number[] = [];
  const afterChat: number[] = [];
  try {
    for (let i = 0; i < RUNS; i++) {
      const args = [process.execPath, CLI, 'dev', '--port', '0', '--model', 'offline', '--offline-cps', '2000'];
      // Half the runs on disk (LevelDB), half in memory.
      args.push(...(i % 2 === 0 ? ['--in-memory'] : ['--data-dir', path.join(home, `data-${i}`)]));
      const cli = await startCli(args, { cwd: home, env: offlineEnv(home) });
      ready.push(cli.startupMs);
      await new Promise((r) => setTimeout(r, IDLE_MS));
      idle.push(rssMiB(cli.proc.pid!));
      const token = await login(cli.url, 'measure');
      const s = await openSocket(`${cli.url.replace('http', 'ws')}/ws`, token);
      await chat(s, '메모리는 얼마나 쓰나요?');
      s.ws.close();
      await new Promise((r) => setTimeout(r, 500));
      afterChat.push(rssMiB(cli.proc.pid!));
      await cli.stop();
    }
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
  console.log(JSON.stringify({
    node: process.version,
    runs: RUNS,
    readyMs: { median: median(ready), all: ready },
    idleRssMiB: { median: median(idle), all: idle },
    rssAfterOneReplyMiB: { median: median(afterChat), all: afterChat },
  }));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
