/**
 * A loopback proxy in front of dynalite that, while armed, refuses chosen write operations with
 * `ProvisionedThroughputExceededException` exactly as DynamoDB answers it (HTTP 400, JSON
 * `__type`), so the real SDK retries and then gives up, as it does when DynamoDB keeps refusing.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A running refusing proxy. */
export interface RefusingDynamo {
  /** Endpoint to use as `DYNAMODB_ENDPOINT`. */
  readonly endpoint: string;
  /** Operations (`BatchWriteItem`, `PutItem`, …) refused while set; empty = pass everything. */
  refuse: Set<string>;
  /** Attempts refused so far. */
  refused: number;
  close(): Promise<void>;
}

/** Starts the proxy on an ephemeral loopback port in front of `target`. */
export async function startRefusingDynamo(target: string): Promise<RefusingDynamo> {
  const to = new URL(target);
  const state: RefusingDynamo = { endpoint: '', refuse: new Set(), refused: 0, close: async () => {} };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const op = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
      if (state.refuse.has(op)) {
        state.refused++;
        res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' });
        res.end(JSON.stringify({
          __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
          message: 'The level of configured provisioned throughput for the table was exceeded.',
        }));
        return;
      }
      const fwd = http.request({ host: to.hostname, port: to.port, path: req.url, method: req.method, headers: req.headers }, (up) => {
        res.writeHead(up.statusCode ?? 500, up.headers);
        up.pipe(res);
      });
      fwd.on('error', () => { res.writeHead(502); res.end(); });
      fwd.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, {
    endpoint: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  });
}
