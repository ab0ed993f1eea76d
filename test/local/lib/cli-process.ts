/**
 * Runs the bundled `cdk-streaming-chatbot` bin (assets/local/cli/index.js, built by
 * `npx projen bundle`) as a child process and waits for its ready line.
 */
import { ChildProcess, spawn } from 'child_process';
import * as path from 'path';

/** The bin as the npm package ships it. */
export const CLI = path.resolve(__dirname, '..', '..', '..', 'assets', 'local', 'cli', 'index.js');

/** A started CLI. */
export interface CliProcess {
  readonly proc: ChildProcess;
  /** `http://127.0.0.1:PORT` from the ready line. */
  readonly url: string;
  readonly readyLine: string;
  /** Milliseconds from spawn to the ready line. */
  readonly startupMs: number;
  stdout(): string;
  stderr(): string;
  /** Sends SIGINT and resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** Environment without AWS credentials, so `auto` means offline and nothing reaches AWS. */
export function offlineEnv(home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('AWS_') && !k.startsWith('JEST')) env[k] = v;
  return { ...env, HOME: home, AWS_EC2_METADATA_DISABLED: 'true', AWS_CONFIG_FILE: path.join(home, 'none'), AWS_SHARED_CREDENTIALS_FILE: path.join(home, 'none') };
}

/** Spawns `command args` and resolves once a line containing `ready` and a URL appears. */
export function startCli(command: string[], options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<CliProcess> {
  const started = Date.now();
  // Its own process group, so Ctrl-C reaches the stack even behind a wrapper such as npx.
  const proc = spawn(command[0], command.slice(1), { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  let err = '';
  // 'close', not 'exit': it waits for every process holding the pipes (npx's child too) to finish.
  const exited = new Promise<number | null>((r) => proc.on('close', (code) => r(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      process.kill(-proc.pid!, 'SIGKILL');
      reject(new Error(`no ready line within ${options.timeoutMs ?? 60_000} ms; stdout: ${out}; stderr: ${err}`));
    }, options.timeoutMs ?? 60_000);
    proc.stderr!.on('data', (c) => { err += c; });
    proc.stdout!.on('data', (c) => {
      out += c;
      const line = out.split('\n').find((l) => /ready/.test(l) && /https?:\/\/\S+:\d+/.test(l));
      if (!line) return;
      clearTimeout(timer);
      resolve({
        proc,
        url: /(https?:\/\/[^\s]+:\d+)/.exec(line)![1],
        readyLine: line,
        startupMs: Date.now() - started,
        stdout: () => out,
        stderr: () => err,
        stop: async () => {
          try {
            process.kill(-proc.pid!, 'SIGINT');
          } catch {
            // The group is already gone.
          }
          return exited;
        },
      });
    });
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before ready; stdout: ${out}; stderr: ${err}`));
    });
  });
}

/** Runs the CLI to completion (for commands that fail or print help). */
export function runCli(args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }):
Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, [CLI, ...args], { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (c) => { stdout += c; });
    proc.stderr.on('data', (c) => { stderr += c; });
    proc.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}
