/**
 * A loopback proxy in front of dynalite that answers `ProvisionedThroughputExceededException`
 * for a share of writes, exactly as DynamoDB does (HTTP 400, JSON `__type`), so the real SDK in
 * the handlers meets a real throttling error and its own retry logic runs.
 */
import { createHash } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems']);

/** Options of {@link startThrottlingProxy}. */
export interface ThrottlingProxyOptions {
  /** Where the real DynamoDB-compatible server listens. */
  readonly target: string;
  /** Throttle the first attempt of every Nth distinct write (0 = never). */
  readonly everyNthWrite: number;
  /**
   * Also throttle the retries of this many of those writes, up to `retryDepth` attempts
   * each, so an SDK with the default 3 attempts gives up on them. Default 0.
   */
  readonly exhaust?: number;
  /** Attempts refused for an exhausted write. Default 10 (beyond any SDK's default). */
  readonly retryDepth?: number;
  /** Only writes of these operations are exhausted (e.g. `BatchWriteItem`). Default: any write. */
  readonly exhaustOperations?: readonly string[];
  /**
   * Only writes whose request body this accepts are exhausted (e.g. a batch that puts items,
   * not one that deletes them), so which kind of write the handlers lose does not depend on
   * the order concurrent writes happen to arrive in. Default: any.
   */
  readonly exhaustIf?: (body: string) => boolean;
}

/** A running proxy and what it did. */
export interface ThrottlingProxy {
  /** Endpoint to hand to the handlers as `DYNAMODB_ENDPOINT`. */
  readonly endpoint: string;
  /** Write requests seen (attempts, not distinct writes). */
  readonly stats: { writes: number; throttled: number; exhaustedWrites: number; byOperation: Record<string, number>; exhaustedOperations: string[] };
  /** Stops throttling (e.g. while the test reads the store back). */
  pause(): void;
  close(): Promise<void>;
}

/** Starts the proxy on an ephemeral loopback port. */
export async function startThrottlingProxy(options: ThrottlingProxyOptions): Promise<ThrottlingProxy> {
  const target = new URL(options.target);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const stats = { writes: 0, throttled: 0, exhaustedWrites: 0, byOperation: {} as Record<string, number>, exhaustedOperations: [] as string[] };
  // Attempts are recognised by the body's hash: an SDK retry resends the same body.
  const refusals = new Map<string, number>();
  let distinct = 0;
  let exhaustLeft = options.exhaust ?? 0;
  let paused = false;

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const op = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
      if (!paused && WRITES.has(op) && options.everyNthWrite > 0) {
        stats.writes++;
        const key = createHash('sha1').update(body).digest('hex');
        let left = refusals.get(key);
        if (left === undefined) {
          distinct++;
          left = 0;
          if (distinct % options.everyNthWrite === 0) {
            left = 1;
            if (exhaustLeft > 0 && (!options.exhaustOperations || options.exhaustOperations.includes(op))
              && (!options.exhaustIf || options.exhaustIf(body.toString('utf8')))) {
              exhaustLeft--;
              stats.exhaustedWrites++;
              stats.exhaustedOperations.push(op);
              left = options.retryDepth ?? 10;
            }
          }
        }
        if (left > 0) {
          refusals.set(key, left - 1);
          stats.throttled++;
          stats.byOperation[op] = (stats.byOperation[op] ?? 0) + 1;
          const payload = JSON.stringify({
            __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
            message: 'The level of configured provisioned throughput for the table was exceeded.',
          });
          res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': key.slice(0, 20) });
          res.end(payload);
          return;
        }
        refusals.set(key, 0);
      }
      const up = http.request({
        host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers, agent,
      }, (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.pipe(res);
      });
      up.on('error', (err) => {
        res.writeHead(502).end(String(err));
      });
      up.end(body);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stats,
    pause: () => { paused = true; },
    close: () => new Promise<void>((resolve) => {
      agent.destroy();
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
