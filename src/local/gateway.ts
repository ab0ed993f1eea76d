/**
 * An emulator of an API Gateway WebSocket API, in front of the real authorizer and chat handlers.
 * It reproduces what the deployed API does to our code: the REQUEST authorizer at `$connect`
 * (401 before any socket opens), route selection on `$request.body.action`, API-Gateway-shaped
 * events, `sendMessage` as an asynchronous (not awaited) invocation, and the service's limits
 * (32 KB frames, 128 KB messages, 10 min idle, 2 h per connection).
 */
import type { IncomingMessage, Server } from 'http';
import type { Duplex } from 'stream';
import { WebSocket, WebSocketServer } from 'ws';
import type { ConnectionInfo, ConnectionSink } from './connections-server';
import { FrameSizeGuard } from './frame-guard';
import { GatewayEvents, handshakeParts, newConnectionId, policyAllows, refuse } from './gateway-events';
import { requestId, sourceIp } from './http-util';
import { BAD_REQUEST_LINE, requestUrl } from './safe-url';
import { DEFAULT_MAX_FRAME_BYTES, GATEWAY_MAX_MESSAGE_BYTES } from '../contract/protocol';
import { ASYNC_ROUTES, AsyncRoute, CONNECT_TOKEN_PARAM, MESSAGE_ROUTES, WS_ROUTES } from '../contract/routes';

/** A Lambda-style handler: event in, result out. */
export type LambdaHandler = (event: any, context?: any) => Promise<any>;


/** Options of {@link WebSocketGateway}. */
export interface GatewayOptions {
  /** The real authorizer handler. */
  readonly authorizer: LambdaHandler;
  /** The real chat handler. */
  readonly chat: LambdaHandler;
  /** `host:port` the clients connect to (the events' `requestContext.domainName`). */
  readonly domainName: string;
  /** @default 'local' */
  readonly stage?: string;
  /** URL path of the API. @default '/ws' */
  readonly path?: string;
  /** @default 32768 (API Gateway's frame limit) */
  readonly maxFrameBytes?: number;
  /** @default 131072 (API Gateway's message limit) */
  readonly maxMessageBytes?: number;
  /** @default 10 minutes */
  readonly idleTimeoutMs?: number;
  /** @default 2 hours */
  readonly maxConnectionMs?: number;
  /** Where problems of the handlers are reported (one line each). */
  readonly log?: (line: string) => void;
  /** The asynchronous routes and their request templates. @default ASYNC_ROUTES, the deployed ones */
  readonly asyncRoutes?: readonly AsyncRoute[];
  /** Checked before anything else on every upgrade: a reason refuses it with 403 (the stack's Host/Origin check). */
  readonly admit?: (req: IncomingMessage) => string | undefined;
}

interface Connection {
  id: string;
  socket: WebSocket;
  connectedAt: number;
  lastActiveAt: number;
  sourceIp: string;
  userAgent?: string;
  authorizer: Record<string, unknown>;
  idleTimer?: NodeJS.Timeout;
  lifeTimer?: NodeJS.Timeout;
  closing?: { code: number; reason: string };
}

/**
 * The WebSocket API emulator. Attach it to the stack's HTTP server; it is also the sink of the
 * local `@connections` endpoint, so the handler's PostToConnection lands on the client's socket.
 */
export class WebSocketGateway implements ConnectionSink {
  private readonly wss: WebSocketServer;
  private readonly connections = new Map<string, Connection>();
  private readonly stage: string;
  private readonly path: string;
  private readonly maxFrameBytes: number;
  private readonly idleTimeoutMs: number;
  private readonly maxConnectionMs: number;
  private readonly pending = new Set<Promise<unknown>>();
  private readonly events: GatewayEvents;

  constructor(private readonly options: GatewayOptions) {
    this.stage = options.stage ?? 'local';
    this.events = new GatewayEvents(this.stage, options.domainName);
    this.path = options.path ?? '/ws';
    this.maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    this.idleTimeoutMs = options.idleTimeoutMs ?? 10 * 60 * 1000;
    this.maxConnectionMs = options.maxConnectionMs ?? 2 * 60 * 60 * 1000;
    // API Gateway negotiates no compression; ws closes with 1009 past maxPayload, as API Gateway does.
    this.wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: options.maxMessageBytes ?? GATEWAY_MAX_MESSAGE_BYTES });
  }

  /** Handles WebSocket upgrades on `server` for this API's path. */
  attach(server: Server): void {
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      socket.on('error', () => socket.destroy());
      const refusal = this.options.admit?.(req);
      if (refusal !== undefined) {
        refuse(socket, 403, 'Forbidden', { message: refusal });
        return;
      }
      const url = requestUrl(req);
      if (!url) {
        refuse(socket, 400, 'Bad Request', { message: BAD_REQUEST_LINE });
        return;
      }
      if (url.pathname !== this.path) {
        refuse(socket, 404, 'Not Found', { message: 'Not Found' });
        return;
      }
      void this.track(this.connect(req, socket, head, url).catch((err) => {
        this.log(`$connect failed: ${(err as Error).message}`);
        refuse(socket, 500, 'Internal Server Error', { message: 'Internal server error' });
      }));
    });
  }

  /** Sends `data` to a connection as one text message; false when the connection is gone. */
  post(connectionId: string, data: Buffer | string): boolean {
    const c = this.connections.get(connectionId);
    if (!c || c.closing || c.socket.readyState !== WebSocket.OPEN) return false;
    c.socket.send(typeof data === 'string' ? data : data.toString('utf8'));
    return true;
  }

  /** `GET @connections/{id}`: undefined when gone. */
  info(connectionId: string): ConnectionInfo | undefined {
    const c = this.connections.get(connectionId);
    if (!c || c.closing) return undefined;
    return { connectedAt: new Date(c.connectedAt), lastActiveAt: new Date(c.lastActiveAt), sourceIp: c.sourceIp, userAgent: c.userAgent ?? '' };
  }

  /** `DELETE @connections/{id}`: closes the connection; false when already gone. */
  disconnect(connectionId: string): boolean {
    const c = this.connections.get(connectionId);
    if (!c || c.closing) return false;
    this.closeConnection(c, 1000, 'Disconnected by the server');
    return true;
  }

  /** Number of open connections. */
  get size(): number {
    return this.connections.size;
  }

  /**
   * Closes every connection (running `$disconnect`) and waits up to `drainMs` for handler work in
   * flight, so replies being generated are finalized in the store before it shuts down.
   */
  async close(drainMs = 5000): Promise<void> {
    const gone = [...this.connections.values()].map((c) => new Promise<void>((resolve) => {
      if (c.socket.readyState === WebSocket.CLOSED) resolve();
      else c.socket.once('close', () => resolve());
    }));
    for (const c of this.connections.values()) this.closeConnection(c, 1001, 'Going away');
    // Every socket ends within a second (close handshake or cut off), and then runs $disconnect.
    await Promise.all(gone);
    const deadline = Date.now() + drainMs;
    while (this.pending.size > 0 && Date.now() < deadline) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...this.pending]),
        new Promise((r) => { timer = setTimeout(r, Math.max(0, deadline - Date.now())); }),
      ]);
      clearTimeout(timer);
    }
    this.wss.close();
  }

  /** Handler invocations still running (asynchronous sendMessage included). */
  get inFlight(): number {
    return this.pending.size;
  }

  private log(line: string): void {
    (this.options.log ?? ((l: string) => process.stderr.write(`${l}\n`)))(line);
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p)).catch(() => undefined);
    return p;
  }

  private async connect(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL): Promise<void> {
    const base = { id: newConnectionId(), connectedAt: Date.now(), sourceIp: sourceIp(req), userAgent: req.headers['user-agent'] };
    const parts = handshakeParts(req, url);
    // The authorizer's identity source is `route.request.querystring.token`: without it API
    // Gateway answers 401 and never calls the authorizer.
    if (!parts.queryStringParameters?.[CONNECT_TOKEN_PARAM]) {
      refuse(socket, 401, 'Unauthorized', { message: 'Unauthorized' });
      return;
    }
    const started = Date.now();
    let result: any;
    try {
      result = await this.options.authorizer(this.events.authorizerRequest(base, parts));
    } catch (err) {
      // A Lambda authorizer signals "no or bad credentials" by failing with exactly "Unauthorized".
      if ((err as Error)?.message === 'Unauthorized') {
        refuse(socket, 401, 'Unauthorized', { message: 'Unauthorized' });
      } else {
        this.log(`authorizer failed: ${(err as Error)?.message}`);
        refuse(socket, 500, 'Internal Server Error', { message: 'Internal server error' });
      }
      return;
    }
    if (!result || typeof result.principalId !== 'string' || !policyAllows(result.policyDocument, this.events.connectMethodArn)) {
      refuse(socket, 403, 'Forbidden', { message: 'Forbidden' });
      return;
    }
    const authorizer: Record<string, unknown> = {
      ...(result.context ?? {}),
      principalId: result.principalId,
      integrationLatency: Date.now() - started,
    };
    const answer = await this.options.chat(this.events.connect(base, parts, authorizer));
    const status = typeof answer?.statusCode === 'number' ? answer.statusCode : 200;
    if (status < 200 || status >= 300) {
      refuse(socket, status, 'Refused', { message: 'Refused' });
      return;
    }
    if (socket.destroyed) return;
    const conn: Connection = { ...base, authorizer, lastActiveAt: Date.now(), socket: undefined as unknown as WebSocket };
    const guard = new FrameSizeGuard(this.maxFrameBytes, () => {
      if (conn.socket) this.closeConnection(conn, 1009, 'Frame too big');
      else socket.destroy();
    });
    // Registered before ws's own listener so an oversized frame is seen before ws delivers it.
    socket.on('data', (chunk: Buffer) => guard.push(chunk));
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      conn.socket = ws;
      this.connections.set(conn.id, conn);
      this.armIdle(conn);
      conn.lifeTimer = setTimeout(() => this.closeConnection(conn, 1001, 'Going away'), this.maxConnectionMs);
      conn.lifeTimer.unref();
      ws.on('message', (data, isBinary) => this.onMessage(conn, data as Buffer, isBinary));
      ws.on('ping', () => this.armIdle(conn));
      ws.on('close', (code, reason) => this.onClose(conn, code, reason.toString()));
      ws.on('error', () => undefined);
    });
  }

  private armIdle(c: Connection): void {
    c.lastActiveAt = Date.now();
    if (c.idleTimer) clearTimeout(c.idleTimer);
    c.idleTimer = setTimeout(() => this.closeConnection(c, 1001, 'Going away'), this.idleTimeoutMs);
    c.idleTimer.unref();
  }

  private closeConnection(c: Connection, code: number, reason: string): void {
    if (c.closing) return;
    c.closing = { code, reason };
    c.socket.close(code, reason);
    // A client that never answers the close handshake is cut off, as API Gateway does.
    setTimeout(() => c.socket.terminate(), 1000).unref();
  }

  private onMessage(c: Connection, data: Buffer, isBinary: boolean): void {
    if (c.closing) return;
    this.armIdle(c);
    const text = data.toString('utf8');
    let parsed: any;
    if (!isBinary) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
    }
    const action = parsed && typeof parsed === 'object' && typeof parsed.action === 'string' ? parsed.action : undefined;
    const routeKey = action && MESSAGE_ROUTES.includes(action) ? action : WS_ROUTES.default;
    const async = (this.options.asyncRoutes ?? ASYNC_ROUTES).find((r) => r.routeKey === routeKey);
    if (async) {
      // AWS: a non-proxy integration invoked with X-Amz-Invocation-Type Event — the route answers
      // at once and nobody awaits the Lambda. Its event is what the request template renders.
      let event: unknown;
      try {
        event = this.events.asyncMessage(c, async, c.authorizer, text);
      } catch (err) {
        this.log(`${routeKey} request template failed: ${(err as Error)?.message}`);
        this.post(c.id, JSON.stringify({ message: 'Internal server error', connectionId: c.id, requestId: requestId() }));
        return;
      }
      void this.track(this.options.chat(event).catch((err) => this.log(`${routeKey} failed: ${(err as Error)?.message}`)));
      return;
    }
    const event = this.events.message(c, routeKey, c.authorizer, data, isBinary);
    void this.track(this.options.chat(event).catch((err) => {
      this.log(`${routeKey} failed: ${(err as Error)?.message}`);
      // What API Gateway sends the client when a proxy integration fails.
      this.post(c.id, JSON.stringify({ message: 'Internal server error', connectionId: c.id, requestId: event.requestContext.requestId }));
    }));
  }

  private onClose(c: Connection, code: number, reason: string): void {
    if (c.idleTimer) clearTimeout(c.idleTimer);
    if (c.lifeTimer) clearTimeout(c.lifeTimer);
    c.closing ??= { code, reason };
    this.connections.delete(c.id);
    void this.track(this.options.chat(this.events.disconnect(c, c.authorizer, code, reason))
      .catch((err) => this.log(`$disconnect failed: ${(err as Error)?.message}`)));
  }
}
