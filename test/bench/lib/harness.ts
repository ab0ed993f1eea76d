/**
 * The local stack as the bench and the load suite run it: the very parts `startLocalStack`
 * composes (dynalite, the WebSocket gateway emulator, the `@connections` endpoint, the
 * Bedrock-compatible model server, local sign-in, the HTTP API emulator) and the real handlers
 * loaded from source, plus three things the stack has no option for and a measurement needs:
 * the {@link BenchBrain} as the model, the seed protocol on the `$default` route of the same
 * gateway, and (for faults) a throttling proxy between the handlers and dynalite. The handlers
 * read their environment when loaded, so one harness runs per process.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { BenchBrain } from './bench-brain';
import { StackProfile } from './profile';
import { SeedProtocol } from './seed-protocol';
import { withSeedRoute } from './seed-route';
import { startThrottlingProxy, ThrottlingProxy, ThrottlingProxyOptions } from './throttling-proxy';
import { authModeFromEnv } from '../../../src/contract/env';
import { createTokenVerifier } from '../../../src/core/token-verifier';
import { startConnectionsServer } from '../../../src/local/connections-server';
import { LOCAL_REGION, startDynamo } from '../../../src/local/dynamo';
import { LambdaHandler, WebSocketGateway } from '../../../src/local/gateway';
import { HttpApi } from '../../../src/local/http-api';
import { readBody, sendJson } from '../../../src/local/http-util';
import { JWKS_PATH, LOCAL_CLIENT_ID, LocalAuth } from '../../../src/local/local-sign-in';
import { startModelServer } from '../../../src/local/model-server';

/** Options of {@link startHarness}. */
export interface HarnessOptions {
  readonly brain: BenchBrain;
  /** Put a throttling proxy between the handlers and dynalite. */
  readonly throttleWrites?: Omit<ThrottlingProxyOptions, 'target'>;
  /** Extra handler environment (e.g. `RATE_LIMIT_PER_MINUTE`). */
  readonly env?: Record<string, string>;
  /** Where handler failures are reported. Default: collected in `problems`. */
  readonly log?: (line: string) => void;
  /** dynalite's LevelDB directory (as the local stack's `--data-dir` uses); default in memory. */
  readonly dynamoPath?: string;
}

/** A running harness. */
export interface Harness {
  /** `http://127.0.0.1:PORT` (sign-in, `/api`). */
  readonly url: string;
  /** `ws://127.0.0.1:PORT/ws`. */
  readonly wsUrl: string;
  /** dynalite itself (not the proxy): where checks read the store. */
  readonly dynamoEndpoint: string;
  readonly tableName: string;
  readonly modelId: string;
  readonly auth: LocalAuth;
  readonly gateway: WebSocketGateway;
  readonly proxy?: ThrottlingProxy;
  /** Counts DynamoDB requests, Lambda invocations and posts while started (see profile.ts). */
  readonly profile: StackProfile;
  /** Lines the gateway and HTTP emulator reported about failing handlers. */
  readonly problems: string[];
  /**
   * Closes every socket and waits (up to `drainMs`) for handler work in flight, leaving the store
   * up so it can be read back.
   */
  drain(drainMs: number): Promise<void>;
  /** Closes sockets, lets running handlers finish (up to `drainMs`), then stops everything. */
  close(drainMs?: number): Promise<void>;
}

/** Model id the bench brain answers to. */
export const BENCH_MODEL_ID = 'bench.scripted-model-v1';

/** Starts the harness on ephemeral loopback ports. */
export async function startHarness(options: HarnessOptions): Promise<Harness> {
  const problems: string[] = [];
  const profile = new StackProfile();
  const log = options.log ?? ((line: string) => { problems.push(line); });
  const closers: Array<() => Promise<void>> = [];
  const closeAll = async () => {
    for (const c of closers.splice(0).reverse()) await c().catch(() => undefined);
  };
  let onRequest: ((req: http.IncomingMessage, res: http.ServerResponse) => void) | undefined;
  const server = http.createServer((req, res) => (onRequest ? onRequest(req, res) : sendJson(res, 503, { message: 'Starting' })));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  closers.push(() => new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  }));
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  const url = `http://${host}`;
  try {
    const dynamo = await startDynamo({ path: options.dynamoPath, observe: (op, body, ms) => profile.dynamoRequest(op, body, ms) });
    closers.push(() => dynamo.close());
    let proxy: ThrottlingProxy | undefined;
    if (options.throttleWrites) {
      proxy = await startThrottlingProxy({ ...options.throttleWrites, target: dynamo.endpoint });
      closers.push(() => proxy!.close());
    }
    const model = await startModelServer(options.brain, { host: '127.0.0.1' });
    closers.push(() => model.close());

    let chat: LambdaHandler | undefined;
    let authorizer: LambdaHandler | undefined;
    const gateway = new WebSocketGateway({
      authorizer: (e) => { profile.invocation('authorizer'); return authorizer!(e); },
      chat: (e) => { profile.invocation(String(e?.requestContext?.routeKey)); return chat!(e); },
      domainName: host,
      log,
    });
    const connections = await startConnectionsServer({
      post: (id, data) => { profile.post(); return gateway.post(id, data); },
      info: (id) => gateway.info(id),
      disconnect: (id) => gateway.disconnect(id),
    }, { host: '127.0.0.1' });
    closers.push(() => connections.close());

    const auth = new LocalAuth({ issuer: `${url}/local` });
    const env: Record<string, string> = {
      TABLE_NAME: dynamo.tableName,
      DYNAMODB_ENDPOINT: proxy ? proxy.endpoint : dynamo.endpoint,
      CONNECTIONS_ENDPOINT: connections.endpoint,
      BEDROCK_ENDPOINT: model.endpoint,
      MODEL_ID: BENCH_MODEL_ID,
      AWS_REGION: LOCAL_REGION,
      CHATBOT_LOCAL: '1',
      JWT_ISSUER: auth.issuer,
      JWT_AUDIENCE: LOCAL_CLIENT_ID,
      JWKS_URI: `${url}${JWKS_PATH}`,
      POWERTOOLS_LOG_LEVEL: 'ERROR',
      POWERTOOLS_METRICS_DISABLED: 'true',
      POWERTOOLS_SERVICE_NAME: 'cdk-streaming-chatbot-bench',
      POWERTOOLS_METRICS_NAMESPACE: 'CdkStreamingChatbotBench',
      ...options.env,
    };
    Object.assign(process.env, env);
    /* eslint-disable @typescript-eslint/no-require-imports */
    authorizer = (require('../../../src/handlers/authorizer.lambda') as { handler: LambdaHandler }).handler;
    const realChat = (require('../../../src/handlers/chat.lambda') as { handler: LambdaHandler }).handler;
    const history = (require('../../../src/handlers/history.lambda') as { handler: LambdaHandler }).handler;
    /* eslint-enable @typescript-eslint/no-require-imports */
    let seed: SeedProtocol | undefined;
    closers.push(async () => seed?.destroy());
    chat = withSeedRoute(realChat, () => (seed ??= new SeedProtocol({
      connectionsEndpoint: connections.endpoint, bedrockEndpoint: model.endpoint, modelId: BENCH_MODEL_ID,
    })));
    gateway.attach(server);
    let gatewayClosed: Promise<void> | undefined;
    const closeGateway = (drainMs = 10_000) => (gatewayClosed ??= gateway.close(drainMs));
    closers.push(() => closeGateway());

    // The deployed HTTP API checks tokens with API Gateway's JWT authorizer; here the authorizer's
    // own verifier (same issuer, audience and JWKS) stands in for it, as in the local stack.
    const verifier = createTokenVerifier(authModeFromEnv(process.env));
    const api = new HttpApi({ history: (e) => { profile.invocation('history'); return history(e); }, verify: async (t) => ({ ...(await verifier.verify(t)) }), domainName: host, log });
    onRequest = (req, res) => {
      const pathname = (req.url ?? '/').split('?')[0];
      if (api.handle(req, res)) return;
      if (pathname === JWKS_PATH) return sendJson(res, 200, auth.jwks);
      if (pathname === '/local/login' && req.method === 'POST') {
        void readBody(req, 4096).then((b) => {
          const r = auth.login(JSON.parse(b.toString('utf8')));
          if (r.ok) sendJson(res, 200, { idToken: r.idToken });
          else sendJson(res, r.status, { code: 'BAD_REQUEST', message: r.message });
        }).catch(() => sendJson(res, 400, { code: 'BAD_REQUEST', message: 'bad login body' }));
        return;
      }
      sendJson(res, 404, { message: 'Not Found' });
    };
    let closed: Promise<void> | undefined;
    return {
      url,
      wsUrl: `ws://${host}/ws`,
      dynamoEndpoint: dynamo.endpoint,
      tableName: dynamo.tableName,
      modelId: BENCH_MODEL_ID,
      auth,
      gateway,
      proxy,
      profile,
      problems,
      drain: async (drainMs: number) => {
        onRequest = undefined;
        await closeGateway(drainMs);
      },
      close: (drainMs?: number) => (closed ??= (async () => {
        onRequest = undefined;
        await closeGateway(drainMs);
        await closeAll();
      })()),
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
