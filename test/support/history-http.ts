import * as http from 'http';
import type { AddressInfo } from 'net';
import type { LambdaHandler } from '../../src/local/gateway';
import { HttpApi } from '../../src/local/http-api';

/**
 * The HTTP API emulator on a real port in front of `history`. Its verifier takes the bearer token
 * as the user's `sub` (the emulator's real JWT checks are tested in test/local/http-api.test.ts).
 */
export async function startHistoryHttp(history: LambdaHandler) {
  const logs: string[] = [];
  const server = http.createServer();
  const port = await new Promise<number>((r) => server.listen(0, '127.0.0.1', () => r((server.address() as AddressInfo).port)));
  const api = new HttpApi({
    domainName: `127.0.0.1:${port}`,
    verify: async (token) => ({ sub: token, token_use: 'id' }),
    history,
    log: (line) => { logs.push(line); },
  });
  server.on('request', (req, res) => { if (!api.handle(req, res)) res.writeHead(404).end(); });
  const base = `http://127.0.0.1:${port}/api`;
  return {
    logs,
    /** The server's origin. */
    base: () => `http://127.0.0.1:${port}`,
    /** One request as `user`: the status, the raw body's UTF-8 bytes and the parsed JSON (if any). */
    async send(user: string, method: string, path: string, opts: { query?: Record<string, string>; body?: string } = {}) {
      const url = new URL(`${base}${path}`);
      for (const [k, v] of Object.entries(opts.query ?? {})) url.searchParams.set(k, v);
      const res = await fetch(url, {
        method,
        headers: { 'authorization': `Bearer ${user}`, 'content-type': 'application/json' },
        ...(opts.body === undefined ? {} : { body: opts.body }),
      });
      const raw = Buffer.from(await res.arrayBuffer());
      return { status: res.status, bytes: raw.length, body: raw.length ? JSON.parse(raw.toString('utf8')) : undefined };
    },
    close: () => new Promise<void>((r) => { server.close(() => r()); server.closeAllConnections(); }),
  };
}
