import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { HostPolicy } from './host-check';
import { guarded, requestUrl, safeDecode } from './safe-url';
import { GATEWAY_MAX_MESSAGE_BYTES } from '../contract/protocol';

/** What `GetConnection` reports about a connection. */
export interface ConnectionInfo {
  readonly connectedAt: Date;
  readonly lastActiveAt: Date;
  readonly sourceIp: string;
  readonly userAgent: string;
}

/**
 * Where the `@connections` endpoint delivers. The local gateway implements it over its sockets;
 * tests use {@link RecordingSink}. `post` answers `false` when the connection is gone (→ 410).
 */
export interface ConnectionSink {
  post(connectionId: string, data: Buffer): boolean | Promise<boolean>;
  info(connectionId: string): ConnectionInfo | undefined;
  /** Closes the connection; `false` when it did not exist (→ 410). */
  disconnect(connectionId: string): boolean | Promise<boolean>;
}

/** A running `@connections` endpoint. */
export interface ConnectionsServer {
  /** Base URL for `CONNECTIONS_ENDPOINT`, e.g. `http://127.0.0.1:PORT/local`. */
  readonly endpoint: string;
  close(): Promise<void>;
}

/** Options of {@link startConnectionsServer}. */
export interface ConnectionsServerOptions {
  readonly host?: string;
  /** 0 (default) picks a free port. */
  readonly port?: number;
  /** Stage prefix put into `endpoint`; any prefix is accepted on requests. Default `local`. */
  readonly stage?: string;
  /** Largest PostToConnection payload; API Gateway's is 128 KB. */
  readonly maxPayloadBytes?: number;
}

const PATH = /^(?:\/[^/]+)*\/@connections\/([^/?]+)\/?(?:\?.*)?$/;

function sendError(res: http.ServerResponse, status: number, type: string, message: string): void {
  // restJson1 clients read the error name from this header, so the real SDK throws e.g. GoneException.
  res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-errortype': type });
  res.end(JSON.stringify({ message }));
}

/**
 * Handles one `@connections` request (`POST|GET|DELETE …/@connections/{id}`, any stage prefix),
 * so the local gateway can mount it on its own server as well.
 */
export function handleConnectionsRequest(sink: ConnectionSink, req: http.IncomingMessage, res: http.ServerResponse,
  maxPayloadBytes = GATEWAY_MAX_MESSAGE_BYTES): boolean {
  const m = PATH.exec(req.url ?? '');
  if (!m) return false;
  const id = safeDecode(m[1]);
  if (id === undefined) {
    req.resume();
    sendError(res, 400, 'BadRequestException', 'Invalid connection id: bad percent-escape in the path');
    return true;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (c: Buffer) => { size += c.length; if (size <= maxPayloadBytes) chunks.push(c); });
  req.on('end', () => {
    void (async () => {
      try {
        if (req.method === 'POST') {
          if (size > maxPayloadBytes) return sendError(res, 413, 'PayloadTooLargeException', `Message too long (max ${maxPayloadBytes} bytes)`);
          if (!(await sink.post(id, Buffer.concat(chunks)))) return sendError(res, 410, 'GoneException', 'Gone');
          res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        } else if (req.method === 'GET') {
          const info = sink.info(id);
          if (!info) return sendError(res, 410, 'GoneException', 'Gone');
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({
            connectedAt: info.connectedAt.toISOString(),
            lastActiveAt: info.lastActiveAt.toISOString(),
            identity: { sourceIp: info.sourceIp, userAgent: info.userAgent },
          }));
        } else if (req.method === 'DELETE') {
          if (!(await sink.disconnect(id))) return sendError(res, 410, 'GoneException', 'Gone');
          res.writeHead(204).end();
        } else {
          sendError(res, 405, 'BadRequestException', 'Method not allowed');
        }
      } catch (err) {
        sendError(res, 500, 'InternalServerErrorException', String((err as Error).message ?? err));
      }
    })();
  });
  return true;
}

/** Starts a loopback `@connections` endpoint over `sink`. */
export async function startConnectionsServer(sink: ConnectionSink, options: ConnectionsServerOptions = {}): Promise<ConnectionsServer> {
  let hosts: HostPolicy | undefined;
  const server = http.createServer(guarded((req, res) => {
    // Only the handlers call it, by its loopback address: a rebound name or a page's Origin is refused.
    const refusal = hosts?.refusal(req);
    if (refusal !== undefined) {
      req.resume();
      return sendError(res, 403, 'ForbiddenException', refusal);
    }
    if (!requestUrl(req)) {
      req.resume();
      return sendError(res, 400, 'BadRequestException', 'The request target is not a valid URL.');
    }
    if (!handleConnectionsRequest(sink, req, res, options.maxPayloadBytes)) sendError(res, 404, 'NotFoundException', 'Not found');
  }));
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  hosts = new HostPolicy({ port, listenHost: host });
  return {
    endpoint: `http://${host}:${port}/${options.stage ?? 'local'}`,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

/** One recorded post. `frame` is the parsed JSON (undefined when the payload was not JSON). */
export interface RecordedPost {
  readonly connectionId: string;
  readonly data: string;
  readonly frame: any;
}

/**
 * A sink for tests and the bench: records every post in order, and can be told that a
 * connection is gone (at once or after N more posts) so the endpoint answers 410.
 */
export class RecordingSink implements ConnectionSink {
  /** Every accepted post, in arrival order. */
  public readonly posts: RecordedPost[] = [];
  private readonly gone = new Set<string>();
  private readonly goneAfter = new Map<string, number>();
  private readonly waiters: Array<() => void> = [];

  /** Makes `connectionId` answer 410 from now on, or after `afterPosts` more accepted posts. */
  public setGone(connectionId: string, afterPosts = 0): void {
    if (afterPosts <= 0) this.gone.add(connectionId);
    else this.goneAfter.set(connectionId, afterPosts);
  }

  public post(connectionId: string, data: Buffer): boolean {
    if (this.gone.has(connectionId)) return false;
    const left = this.goneAfter.get(connectionId);
    if (left !== undefined) {
      if (left <= 1) { this.goneAfter.delete(connectionId); this.gone.add(connectionId); } else {this.goneAfter.set(connectionId, left - 1);}
    }
    const text = data.toString('utf8');
    let frame: any;
    try { frame = JSON.parse(text); } catch { frame = undefined; }
    this.posts.push({ connectionId, data: text, frame });
    for (const w of this.waiters.splice(0)) w();
    return true;
  }

  public info(connectionId: string): ConnectionInfo | undefined {
    if (this.gone.has(connectionId)) return undefined;
    const now = new Date();
    return { connectedAt: now, lastActiveAt: now, sourceIp: '127.0.0.1', userAgent: 'recording-sink' };
  }

  public disconnect(connectionId: string): boolean {
    if (this.gone.has(connectionId)) return false;
    this.gone.add(connectionId);
    return true;
  }

  /** The parsed frames posted to one connection, in order. */
  public frames(connectionId: string): any[] {
    return this.posts.filter((p) => p.connectionId === connectionId).map((p) => p.frame);
  }

  /** Resolves with the first frame matching `predicate` (already posted or future), or rejects after `timeoutMs`. */
  public async waitFor(predicate: (frame: any, connectionId: string) => boolean, timeoutMs = 10_000): Promise<any> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.posts.find((p) => predicate(p.frame, p.connectionId));
      if (hit) return hit.frame;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('RecordingSink.waitFor: no matching frame');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => { clearTimeout(t); resolve(); });
      });
    }
  }
}
