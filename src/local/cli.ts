/**
 * The `cdk-streaming-chatbot` command (bundled to assets/local/cli/index.js, the package's bin).
 * `dev` starts the local stack and prints one `ready` line with its URL.
 */
import { validAllowHost } from './host-check';
import { MODEL_FORMS, parseModelList } from './model-list';
import { LocalStackError, startLocalStack } from './stack';

// commander is ESM-only; esbuild inlines it into the bundled bin either way.
type Commander = typeof import('commander', { with: { 'resolution-mode': 'import' } });

/** Builds the command line program. */
export async function program() {
  const { Command, InvalidArgumentError }: Commander = await import('commander');
  const integer = (min: number, max: number) => (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < min || n > max) throw new InvalidArgumentError(`must be a whole number from ${min} to ${max}`);
    return n;
  };
  const allowHost = (value: string, previous: string[]): string[] => {
    if (!validAllowHost(value)) throw new InvalidArgumentError('must be a host name or IP address, optionally with :port');
    return [...previous, value];
  };
  const models = (value: string, previous: string[]): string[] => {
    try {
      parseModelList(value);
    } catch (err) {
      throw new InvalidArgumentError((err as Error).message);
    }
    return [...previous, value];
  };
  const positive = (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a number above 0');
    return n;
  };
  const cli = new Command('cdk-streaming-chatbot')
    .description('A streaming, Korean-first chatbot on Amazon Bedrock — local stack')
    .showHelpAfterError('(run with --help for usage)');
  cli.command('dev')
    .description('Run the whole chatbot on this machine: the real handlers and web client behind local emulators')
    .option('--port <n>', 'port to listen on; 0 picks a free one', integer(0, 65535), 8787)
    .option('--host <h>', 'address to listen on (0.0.0.0: every interface; name the hosts with --allow-host)', '127.0.0.1')
    .option('--allow-host <name>', 'another Host name to answer to besides 127.0.0.1, localhost and [::1] '
      + '(repeatable; name or name:port); requests naming any other host get 403', allowHost, [] as string[])
    .option('--data-dir <d>', 'where the embedded DynamoDB and the sign-in key are kept', '.chatbot')
    .option('--in-memory', 'keep nothing on disk', false)
    .option('--model <m>', `the models offered, the first the default: ${MODEL_FORMS}. `
      + 'auto: Bedrock when AWS credentials resolve, else offline and offline-fast (default: "auto")', models, [] as string[])
    .option('--model-id <id>', 'the id of a bare bedrock entry (Bedrock model or inference profile) or openai entry (model name)')
    .option('--region <r>', 'AWS Region for Bedrock')
    .option('--openai-base-url <u>', 'OpenAI-compatible server, e.g. http://127.0.0.1:11434/v1 (Ollama)')
    .option('--offline-cps <n>', 'characters per second of the offline model', positive)
    .option('--history-token-budget <n>', 'tokens of history the model is given', integer(1, 1_000_000))
    .action(async (opts: Record<string, any>) => {
      await dev(opts);
    });
  return cli;
}

async function dev(opts: Record<string, any>): Promise<void> {
  const started = Date.now();
  let stack;
  try {
    stack = await startLocalStack({
      port: opts.port,
      host: opts.host,
      allowHosts: opts.allowHost,
      dataDir: opts.dataDir,
      inMemory: opts.inMemory,
      model: opts.model.length ? opts.model : undefined,
      modelId: opts.modelId,
      region: opts.region,
      openaiBaseUrl: opts.openaiBaseUrl,
      offlineCps: opts.offlineCps,
      historyTokenBudget: opts.historyTokenBudget,
    });
  } catch (err) {
    fail(err);
    return;
  }
  const s = stack;
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      // A second Ctrl-C: the user does not want to wait for running replies.
      process.stderr.write('cdk-streaming-chatbot: forced exit\n');
      process.exit(130);
    }
    stopping = true;
    // After SIGHUP the terminal may be gone: a failed write must not end the shutdown.
    process.stdout.on('error', () => undefined);
    process.stderr.on('error', () => undefined);
    process.stdout.write(`cdk-streaming-chatbot: ${signal}, finishing running replies and flushing the store…\n`);
    s.close().then(() => {
      process.stdout.write('cdk-streaming-chatbot: stopped\n');
      process.exit(0);
    }, (err) => fail(err));
  };
  // In Lambda a stray rejection fails one invocation, not the service: report it and keep serving.
  process.on('unhandledRejection', (reason) => {
    process.stderr.write(`cdk-streaming-chatbot: unhandled rejection: ${String((reason as Error)?.message ?? reason).split('\n')[0]}\n`);
  });
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  // Closing the terminal: the same graceful shutdown (running replies finished or marked interrupted).
  process.on('SIGHUP', () => stop('SIGHUP'));
  // Only now: whoever waits for the ready line may send Ctrl-C at once, and without the handlers
  // above that signal would kill the process before the store is flushed.
  process.stdout.write(`${s.modelDescription}\n`);
  for (const line of s.modelWarning?.split('\n') ?? []) process.stderr.write(`cdk-streaming-chatbot: ${line}\n`);
  if (opts.host !== '127.0.0.1' || opts.allowHost.length > 0) process.stdout.write(`answers to: ${s.allowedHosts.join(', ')} (--allow-host adds names)\n`);
  process.stdout.write(s.dataDir ? `data: ${s.dataDir}\n` : 'data: in memory (nothing kept)\n');
  process.stdout.write(`cdk-streaming-chatbot ready at ${s.url} (${Date.now() - started} ms)\n`);
}

/** One line, no stack trace: the user can act on the message alone. */
function fail(err: unknown): void {
  const message = err instanceof LocalStackError ? err.message : `unexpected error: ${String((err as Error)?.message ?? err).split('\n')[0]}`;
  process.stderr.write(`cdk-streaming-chatbot: ${message}\n`);
  process.exit(1);
}

if (require.main === module) {
  // The SDK version is pinned in the bundle, so its notice about future versions needing Node 22
  // says nothing to the user of this command.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  program().then((cli) => cli.parseAsync(process.argv)).catch(fail);
}
