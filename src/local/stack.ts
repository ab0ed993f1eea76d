/**
 * The local stack: the real handlers and the real web client behind emulators of the AWS parts
 * (docs/LOCAL.md §4, §5). Used by the CLI, the tests and the bench.
 */
import * as fs from 'fs';
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as path from 'path';
import { startConnectionsServer } from './connections-server';
import { startDynamo } from './dynamo';
import { errorLoggingSink } from './error-log';
import { LambdaHandler, WebSocketGateway } from './gateway';
import { HostPolicy } from './host-check';
import { HttpApi, TokenVerifier } from './http-api';
import { BodyTooLargeError, readBody, sendJson } from './http-util';
import { interruptOrphanedReplies, LocalTable } from './interrupted';
import { JWKS_PATH, LOCAL_CLIENT_ID, LocalAuth } from './local-sign-in';
import type { BrainRequest } from './model/brain';
import { LocalModel, LocalStackError, ModelOptions, ModelProvider, selectModel } from './model-choice';
import { startModelServer } from './model-server';
import { startS3Server } from './s3-server';
import { guarded } from './safe-url';
import { findClientDir, serveStatic } from './static-client';
import { clientAttachmentsConfig } from '../contract/attachments';
import {
  AuthorizerEnv, AwsEnv, ChatEnv, checkAuthMode, DEFAULT_HISTORY_TOKEN_BUDGET, DEFAULT_RATE_LIMIT_PER_MINUTE, HistoryEnv, TelemetryEnv,
} from '../contract/env';
import { ClientConfig, DEFAULT_MAX_FRAME_BYTES, DEFAULT_MAX_INPUT_CHARS } from '../contract/protocol';
import { HISTORY_API_PREFIX } from '../contract/routes';
import { createTokenVerifier } from '../core/token-verifier';
import { createAuthorizerHandler } from '../handlers/authorizer';
import { authorizerDeps } from '../handlers/authorizer-wiring';
import { createChatHandler } from '../handlers/chat';
import { createHistoryHandler } from '../handlers/history';
import { chatDeps, historyDeps } from '../handlers/wiring';

export { LocalStackError } from './model-choice';
export type { LocalModel, ModelFlag, ModelProvider } from './model-choice';

/** Options of {@link startLocalStack} (the CLI flags of docs/PROTOCOL.md §4, plus knobs for tests). */
export interface LocalStackOptions extends ModelOptions {
  /** @default 8787; 0 picks a free port */
  readonly port?: number;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** Where the store and the signing key live. @default '.chatbot' */
  readonly dataDir?: string;
  /** Keep nothing on disk. @default false */
  readonly inMemory?: boolean;
  /** Token budget of the chat handler's history window. @default the handler's own (8000) */
  readonly historyTokenBudget?: number;
  /** Level of the handlers' JSON logs on stdout. @default 'WARN' (the console is the developer's) */
  readonly logLevel?: string;
  /** Gateway idle timeout. @default 10 minutes */
  readonly idleTimeoutMs?: number;
  /** Local ID token lifetime. @default 8 hours */
  readonly tokenTtlSeconds?: number;
  /** Where handler failures are reported. @default stderr */
  readonly log?: (line: string) => void;
  /**
   * More `Host` names the stack answers to besides 127.0.0.1, localhost and [::1] (`--allow-host`,
   * for use from another machine): `name` (the stack's port) or `name:port`. Others get 403.
   */
  readonly allowHosts?: readonly string[];
  /** Serve attachments (an S3-compatible endpoint beside the stack). @default true */
  readonly attachments?: boolean;
  /** Told of every request the local model server gets, as decoded (for tests; not a CLI flag). */
  readonly onModelRequest?: (request: BrainRequest) => void;
}

/** A running local stack. */
export interface LocalStack {
  /** `http://host:port`: the client, `/config.json`, `/api`, `/local/login`. */
  readonly url: string;
  /** `ws://host:port/ws`. */
  readonly wsUrl: string;
  /** The default model's provider and id. */
  readonly modelProvider: ModelProvider;
  readonly modelId: string;
  /** Every model offered (`config.json` `models`, the chat handler's allowed list), the default first. */
  readonly models: readonly LocalModel[];
  /** Lines saying which models are offered, and why (one per model). */
  readonly modelDescription: string;
  /** Lines when a chosen model will not answer (checked at start), e.g. nothing listens at the OpenAI URL. */
  readonly modelWarning?: string;
  /** The `host:port` names the stack answers to (others get 403). */
  readonly allowedHosts: readonly string[];
  /** Where the data is kept, or undefined when in memory. */
  readonly dataDir?: string;
  /** Signs tokens like `POST /local/login` does (tests use it to make expired or odd tokens). */
  readonly auth: LocalAuth;
  /** What the handlers were built from (the deployed functions read the same from their variables). */
  readonly environment: { readonly chat: ChatEnv; readonly history: HistoryEnv; readonly authorizer: AuthorizerEnv };
  /** Closes sockets, lets running handlers finish (up to `drainMs`), then flushes and closes the store. */
  close(drainMs?: number): Promise<void>;
}

const LOGIN_MAX_BODY_BYTES = 4096;
/** The local stack's attachments bucket (in its S3 endpoint). */
export const LOCAL_ATTACHMENTS_BUCKET = 'attachments';

/** Makes sure `dir` exists and can be written, or throws a one-line {@link LocalStackError}. */
function prepareDataDir(dir: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true });
    const probe = path.join(dir, `.write-test-${process.pid}`);
    fs.writeFileSync(probe, '');
    fs.unlinkSync(probe);
  } catch (err) {
    throw new LocalStackError(`Cannot write to the data dir ${dir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}. `
      + 'Pick another --data-dir or use --in-memory.');
  }
}

/** File in the data dir naming the process whose stack uses it. */
export const DATA_DIR_LOCK_FILE = 'stack.pid';

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Claims `dir` for this process. A second stack on the same store would otherwise reach
 * dynalite's LevelDB lock, which fails inside a callback and crashes with a stack trace. The
 * claim of a process that is gone (killed before its shutdown) is taken over. Returns the release.
 */
function lockDataDir(dir: string): () => void {
  const file = path.join(dir, DATA_DIR_LOCK_FILE);
  const mine = String(process.pid);
  for (let attempt = 0; ; attempt++) {
    try {
      fs.writeFileSync(file, mine, { flag: 'wx' });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw err;
    }
    const holder = Number(fs.readFileSync(file, 'utf8').trim());
    if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && processAlive(holder)) {
      throw new LocalStackError(`The data dir ${dir} is in use by another running stack (pid ${holder}): stop it, `
        + `or pick another --data-dir or use --in-memory (delete ${file} if no such stack runs).`);
    }
    fs.rmSync(file, { force: true });
  }
  return () => {
    try {
      if (fs.readFileSync(file, 'utf8') === mine) fs.unlinkSync(file);
    } catch {
      // Already gone.
    }
  };
}

function listen(server: http.Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') reject(new LocalStackError(`Port ${port} on ${host} is already in use: pick another with --port (0 = any free port).`));
      else if (err.code === 'EACCES') reject(new LocalStackError(`Not allowed to listen on ${host}:${port}: pick a port above 1023 with --port.`));
      else if (err.code === 'EADDRNOTAVAIL') reject(new LocalStackError(`Cannot listen on ${host}: no such local address.`));
      else reject(err);
    });
    server.listen(port, host, () => resolve());
  });
}

/**
 * Starts everything. The handlers are built from this stack's own configuration (nothing goes
 * through `process.env`), so several stacks may run in one process.
 */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const host = options.host ?? '127.0.0.1';
  const dataDir = options.inMemory ? undefined : path.resolve(options.dataDir ?? '.chatbot');
  if (dataDir) prepareDataDir(dataDir);
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));

  // Listen first: a port in use is the most common failure and should be reported before any work.
  let ready: ((req: http.IncomingMessage, res: http.ServerResponse) => void) | undefined;
  let hosts: HostPolicy | undefined;
  const server = http.createServer(guarded((req, res) => {
    const refusal = hosts?.refusal(req);
    if (refusal !== undefined) {
      req.resume();
      return sendJson(res, 403, { message: refusal });
    }
    if (ready) ready(req, res);
    else sendJson(res, 503, { message: 'Service Unavailable' });
  }, log));
  await listen(server, options.port ?? 8787, host);
  const port = (server.address() as AddressInfo).port;
  hosts = new HostPolicy({ port, listenHost: host, allowHosts: options.allowHosts });
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  const url = `http://${urlHost}:${port}`;
  const closers: Array<() => Promise<void>> = [];
  const closeAll = async () => {
    for (const c of closers.splice(0).reverse()) await c().catch((err) => log(`shutdown: ${(err as Error).message}`));
  };
  closers.push(() => new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  }));

  try {
    if (dataDir) {
      const release = lockDataDir(dataDir);
      // First in, so released last (closers run in reverse), after the store is flushed.
      closers.unshift(async () => release());
    }
    // Started side by side; all are awaited even when one fails (e.g. no credentials for
    // --model bedrock), so whatever did start is registered and closed again.
    const [modelResult, dynamoResult, gatewayResult] = await Promise.allSettled([
      selectModel(options),
      startDynamo({ path: dataDir ? path.join(dataDir, 'dynamodb') : undefined }).then((d) => {
        closers.push(() => d.close());
        return d;
      }),
      (async () => {
        // The gateway is the connections server's sink; the handlers are bound to it further down.
        let handlers: { authorizer: LambdaHandler; chat: LambdaHandler } | undefined;
        const gateway = new WebSocketGateway({
          authorizer: (e) => handlers!.authorizer(e),
          chat: (e) => handlers!.chat(e),
          domainName: `${urlHost}:${port}`,
          idleTimeoutMs: options.idleTimeoutMs,
          log,
          admit: (req) => hosts!.refusal(req),
        });
        const connections = await startConnectionsServer(errorLoggingSink(gateway, log), { host: '127.0.0.1' });
        closers.push(() => connections.close());
        return { gateway, connections, bind: (h: typeof handlers) => { handlers = h; } };
      })(),
    ]);
    if (modelResult.status === 'rejected') throw modelResult.reason;
    if (dynamoResult.status === 'rejected') throw dynamoResult.reason;
    if (gatewayResult.status === 'rejected') throw gatewayResult.reason;
    const model = modelResult.value;
    if (model.close) closers.push(async () => model.close!());
    const dynamo = dynamoResult.value;
    const { gateway, connections, bind } = gatewayResult.value;
    if (dataDir) await sweepInterrupted(dynamo, log, 'left streaming by the last run');
    let modelEndpoint: string | undefined;
    if (model.brain) {
      const modelServer = await startModelServer(model.brain, { host: '127.0.0.1', onRequest: options.onModelRequest, onError: (type, message) => log(`model error (${type}): ${message}`) });
      closers.push(() => modelServer.close());
      modelEndpoint = modelServer.endpoint;
    }

    const auth = new LocalAuth({ dataDir, issuer: `${url}/local`, tokenTtlSeconds: options.tokenTtlSeconds });
    const telemetry: TelemetryEnv = { serviceName: 'cdk-streaming-chatbot-local', namespace: 'CdkStreamingChatbotLocal', logLevel: options.logLevel ?? 'WARN' };
    const aws: AwsEnv = {
      region: model.region,
      dynamodbEndpoint: dynamo.endpoint,
      connectionsEndpoint: connections.endpoint,
      bedrockEndpoint: modelEndpoint,
      localCredentials: true,
    };
    // Attachments: an S3-compatible endpoint beside the stack, answering CORS for the site (docs/LOCAL.md).
    let attachments: HistoryEnv['attachments'];
    if (options.attachments !== false) {
      const origins = [url, ...hosts.allowed.map((h) => `http://${h}`)];
      const s3 = await startS3Server({ host, buckets: [LOCAL_ATTACHMENTS_BUCKET], allowedOrigins: origins, dataDir: dataDir && path.join(dataDir, 's3') });
      closers.push(() => s3.close());
      attachments = { bucket: LOCAL_ATTACHMENTS_BUCKET, s3Endpoint: s3.endpoint.replace(/\/\/(0\.0\.0\.0|\[::\])(?=:)/, '//127.0.0.1') };
    }
    const chatEnv: ChatEnv = {
      tableName: dynamo.tableName,
      modelId: model.modelId,
      models: model.models.map((m) => ({ modelId: m.modelId, label: m.label, inferenceConfig: {} })),
      titleModelId: model.titleModelId ?? model.modelId,
      inferenceConfig: {},
      historyTokenBudget: options.historyTokenBudget ?? DEFAULT_HISTORY_TOKEN_BUDGET,
      maxInputChars: DEFAULT_MAX_INPUT_CHARS,
      maxFrameBytes: DEFAULT_MAX_FRAME_BYTES,
      rateLimitPerMinute: DEFAULT_RATE_LIMIT_PER_MINUTE,
      telemetry,
      aws,
      attachments,
    };
    const historyEnv: HistoryEnv = { tableName: dynamo.tableName, telemetry, aws, attachments };
    const authorizerEnv: AuthorizerEnv = {
      auth: checkAuthMode({ mode: 'generic', issuer: auth.issuer, audience: LOCAL_CLIENT_ID, jwksUri: `${url}${JWKS_PATH}` }),
      telemetry,
    };
    // Quiet by default: no EMF on the developer's console.
    const quiet = { metrics: false };
    const chat = chatDeps(chatEnv, quiet);
    const history = historyDeps(historyEnv, quiet);
    closers.push(async () => { chat.close(); history.close(); });
    const handlers = {
      authorizer: createAuthorizerHandler(authorizerDeps(authorizerEnv, quiet)) as LambdaHandler,
      chat: createChatHandler(chat) as LambdaHandler,
      history: createHistoryHandler(history) as LambdaHandler,
      verify: httpApiVerifier(authorizerEnv),
    };
    bind(handlers);
    gateway.attach(server);
    // No second drain here: close() has drained already, and a failed start has nothing to drain.
    closers.push(() => gateway.close(0));

    const api = new HttpApi({ history: handlers.history, verify: handlers.verify, domainName: `${urlHost}:${port}`, log });
    const clientDir = findClientDir();
    // The Host the browser used (one the host check accepted), so a name given with --allow-host works too.
    const webSocketUrl = (req: http.IncomingMessage) => `ws://${req.headers.host ?? `${urlHost}:${port}`}/ws`;
    const config = (req: http.IncomingMessage): ClientConfig => ({
      webSocketUrl: webSocketUrl(req),
      apiUrl: HISTORY_API_PREFIX,
      auth: { mode: 'local' },
      model: { provider: model.provider, modelId: model.modelId },
      models: model.models.map((m) => ({ modelId: m.modelId, label: m.label })),
      defaultModelId: model.modelId,
      limits: { maxInputChars: DEFAULT_MAX_INPUT_CHARS, maxFrameBytes: DEFAULT_MAX_FRAME_BYTES },
      ...(attachments ? { attachments: clientAttachmentsConfig() } : {}),
    });
    ready = (req, res) => {
      const pathname = (req.url ?? '/').split('?')[0];
      if (api.handle(req, res)) return;
      if (pathname === '/config.json') return sendJson(res, 200, config(req));
      if (pathname === JWKS_PATH) return sendJson(res, 200, auth.jwks);
      if (pathname === '/local/login') return void login(auth, req, res);
      serveStatic(clientDir, req, res, webSocketUrl(req), attachments?.s3Endpoint ? [attachments.s3Endpoint] : []);
    };

    let closed: Promise<void> | undefined;
    return {
      url,
      wsUrl: `ws://${urlHost}:${port}/ws`,
      modelProvider: model.provider,
      modelId: model.modelId,
      models: model.models,
      modelDescription: model.description,
      modelWarning: model.warning,
      allowedHosts: hosts.allowed,
      dataDir,
      auth,
      environment: { chat: chatEnv, history: historyEnv, authorizer: authorizerEnv },
      close: (drainMs?: number) => {
        closed ??= (async () => {
          ready = undefined;
          await gateway.close(drainMs);
          // What still runs after the drain dies with the process: say so in the store now.
          if (dataDir) await sweepInterrupted(dynamo, log, 'still running at shutdown');
          await closeAll();
        })();
        return closed;
      },
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

/** Marks replies whose generator is gone as interrupted (interrupted.ts); a failure is only logged. */
async function sweepInterrupted(table: LocalTable, log: (line: string) => void, why: string): Promise<void> {
  try {
    const r = await interruptOrphanedReplies(table);
    if (r.replies > 0) log(`${r.replies} ${r.replies === 1 ? 'reply' : 'replies'} ${why} marked interrupted`);
  } catch (err) {
    log(`marking interrupted replies failed: ${(err as Error)?.message}`);
  }
}

async function login(auth: LocalAuth, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  if (req.method !== 'POST') return sendJson(res, 405, { code: 'BAD_REQUEST', message: 'Use POST.' }, { allow: 'POST' });
  let body: unknown;
  try {
    body = JSON.parse((await readBody(req, LOGIN_MAX_BODY_BYTES)).toString('utf8'));
  } catch (err) {
    if (err instanceof BodyTooLargeError) return sendJson(res, 413, { code: 'TOO_LARGE', message: err.message });
    return sendJson(res, 400, { code: 'BAD_REQUEST', message: 'The body must be JSON: {"username": "..."}.' });
  }
  const result = auth.login(body);
  if (!result.ok) return sendJson(res, result.status, { code: 'BAD_REQUEST', message: result.message });
  sendJson(res, 200, { idToken: result.idToken });
}

/** The claims of a JWT whose signature has already been verified. */
function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** The HTTP API checks tokens with the authorizer's verifier code, configured like the authorizer. */
function httpApiVerifier(env: AuthorizerEnv): TokenVerifier {
  const verifier = createTokenVerifier(env.auth);
  return async (token) => {
    const identity = await verifier.verify(token);
    // Verified above; the JWT authorizer of an HTTP API passes all claims on, so do the same.
    return { ...claimsOf(token), sub: identity.sub };
  };
}
