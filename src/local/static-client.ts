/**
 * Serves the prebuilt web client (the same `assets/client/` folder the construct deploys) with the
 * kind of headers CloudFront adds, so a client that works here does not break behind the CSP.
 */
import * as fs from 'fs';
import type { IncomingMessage, ServerResponse } from 'http';
import * as path from 'path';
import { buildContentSecurityPolicy } from '../contract/csp';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * The deployed Content-Security-Policy with the local WebSocket URL in `connect-src` and without
 * `upgrade-insecure-requests`, which would turn the local `ws://` into an unreachable `wss://`.
 */
export function localContentSecurityPolicy(webSocketUrl: string, attachmentSources: readonly string[] = []): string {
  return buildContentSecurityPolicy({ connectSources: [webSocketUrl], upgradeInsecureRequests: false, attachmentSources });
}

/** Security headers like the deployed CloudFront response headers policy. */
export function securityHeaders(webSocketUrl: string, attachmentSources: readonly string[] = []): Record<string, string> {
  return {
    'content-security-policy': localContentSecurityPolicy(webSocketUrl, attachmentSources),
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'strict-origin-when-cross-origin',
  };
}

/**
 * Finds `assets/client` from wherever this code runs: bundled at `assets/local/cli/index.js`,
 * compiled at `lib/local/*.js`, or from source at `src/local/*.ts`.
 */
export function findClientDir(from: string = __dirname): string | undefined {
  const candidates = [
    path.resolve(from, '..', '..', 'client'),
    path.resolve(from, '..', '..', 'assets', 'client'),
  ];
  return candidates.find((dir) => fs.existsSync(path.join(dir, 'index.html')));
}

/** Answers GET/HEAD for files of `root`; unknown extension-less paths get `index.html`. */
/** `attachmentSources`: the local S3 endpoint, for presigned uploads and thumbnails (docs/PROTOCOL.md §15). */
export function serveStatic(root: string | undefined, req: IncomingMessage, res: ServerResponse, webSocketUrl: string,
  attachmentSources: readonly string[] = []): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD' }).end();
    return;
  }
  if (!root) {
    res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' });
    res.end('The web client is not built: run `npx projen bundle` first.\n');
    return;
  }
  let pathname: string;
  try {
    pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
  } catch {
    res.writeHead(400).end();
    return;
  }
  // Resolved inside root, so `..` can never reach files outside it.
  let file = path.join(root, path.normalize(pathname).replace(/^(\.\.[/\\])+/, ''));
  if (!file.startsWith(root)) {
    res.writeHead(404).end();
    return;
  }
  if (fs.existsSync(file) && fs.statSync(file).isDirectory()) file = path.join(file, 'index.html');
  if (!fs.existsSync(file)) {
    if (path.extname(pathname) !== '') {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found\n');
      return;
    }
    file = path.join(root, 'index.html');
  }
  const body = fs.readFileSync(file);
  res.writeHead(200, {
    'content-type': TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream',
    'content-length': String(body.length),
    'cache-control': 'no-cache',
    ...securityHeaders(webSocketUrl, attachmentSources),
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}
