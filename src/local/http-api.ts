/**
 * An emulator of the HTTP API in front of the history handler: it checks the bearer token the way
 * the deployed JWT authorizer does (with the authorizer's own verifier code), fills
 * `requestContext.authorizer.jwt.claims`, and hands the real handler an HTTP API v2 payload.
 */
import type { IncomingMessage, ServerResponse } from 'http';
import type { LambdaHandler } from './gateway';
import { BodyTooLargeError, readBody, requestId, requestTime, sendJson, sourceIp } from './http-util';
import { responseTooLarge } from './lambda-limits';
import { badRequest, requestUrl } from './safe-url';
import { UNAUTHORIZED_BODY } from '../contract/protocol';
import { HISTORY_API_PREFIX, matchHistoryRoute } from '../contract/routes';

/** Verifies an ID token and answers its claims; rejects when the token is not acceptable. */
export type TokenVerifier = (token: string) => Promise<Record<string, unknown>>;

/** HTTP API's payload limit (10 MB). */
export const HTTP_API_MAX_BODY_BYTES = 10 * 1024 * 1024;
/** HTTP API's integration timeout (30 s). */
export const HTTP_API_TIMEOUT_MS = 30_000;

/** Options of {@link HttpApi}. */
export interface HttpApiOptions {
  /** The real history handler. */
  readonly history: LambdaHandler;
  /** The authorizer's verifier (same code, same issuer/audience/JWKS). */
  readonly verify: TokenVerifier;
  /** `host:port` of the stack (the events' `requestContext.domainName`). */
  readonly domainName: string;
  /** @default 30 s */
  readonly timeoutMs?: number;
  readonly log?: (line: string) => void;
}

/**
 * Claims as the HTTP API JWT authorizer passes them: every value a string (numbers and booleans
 * stringified, arrays as `[a b]`), so handler code that works here works in AWS too.
 */
export function apiGatewayClaims(claims: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(claims)) {
    if (v === undefined || v === null) continue;
    out[k] = Array.isArray(v) ? `[${v.join(' ')}]` : typeof v === 'object' ? JSON.stringify(v) : String(v);
  }
  return out;
}

const UNAUTHORIZED = UNAUTHORIZED_BODY;

/** The HTTP API emulator; `handle` answers `/api/*` requests and ignores the rest. */
export class HttpApi {
  private readonly prefix = HISTORY_API_PREFIX;

  constructor(private readonly options: HttpApiOptions) {}

  /** Answers the request when it is under the API's prefix; false otherwise. */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    const url = requestUrl(req);
    if (!url) {
      badRequest(res);
      return true;
    }
    if (url.pathname !== this.prefix && !url.pathname.startsWith(`${this.prefix}/`)) return false;
    void this.serve(req, res, url).catch((err) => {
      (this.options.log ?? ((l: string) => process.stderr.write(`${l}\n`)))(`history failed: ${(err as Error)?.message}`);
      if (!res.headersSent) sendJson(res, 500, { message: 'Internal Server Error' });
      else res.destroy();
    });
    return true;
  }

  private async serve(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    // The deployed routes (src/contract/routes.ts); anything else is 404 before auth.
    const route = url.pathname.startsWith(`${this.prefix}/`)
      ? matchHistoryRoute(req.method ?? 'GET', url.pathname.slice(this.prefix.length)) : undefined;
    if (!route) {
      sendJson(res, 404, { message: 'Not Found' });
      req.resume();
      return;
    }
    // The JWT authorizer runs before the body is even read; its answers carry no code field.
    const header = req.headers.authorization ?? '';
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m) {
      sendJson(res, 401, UNAUTHORIZED, { 'www-authenticate': 'Bearer' });
      req.resume();
      return;
    }
    let claims: Record<string, unknown>;
    try {
      claims = await this.options.verify(m[1]);
    } catch {
      sendJson(res, 401, UNAUTHORIZED, { 'www-authenticate': 'Bearer error="invalid_token"' });
      req.resume();
      return;
    }
    let body: Buffer;
    try {
      body = await readBody(req, HTTP_API_MAX_BODY_BYTES);
    } catch (err) {
      if (err instanceof BodyTooLargeError) {
        sendJson(res, 413, { message: 'Request Entity Too Large' });
        return;
      }
      throw err;
    }
    const event = this.event(req, url, body, claims, route);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.options.timeoutMs ?? HTTP_API_TIMEOUT_MS);
    });
    const result = await Promise.race([this.options.history(event), timeout]).finally(() => clearTimeout(timer));
    if (result === 'timeout') {
      sendJson(res, 503, { message: 'Service Unavailable' });
      return;
    }
    // Lambda fails the invocation (logged by handle) and the HTTP API answers 500.
    const tooLarge = responseTooLarge(result);
    if (tooLarge) throw new Error(tooLarge);
    this.respond(res, result);
  }

  private event(req: IncomingMessage, url: URL, body: Buffer, claims: Record<string, unknown>,
    route: { routeKey: string; pathParameters?: Record<string, string> }) {
    const headers: Record<string, string> = {};
    const cookies: string[] = [];
    for (const [k, v] of Object.entries(req.headers)) {
      if (v === undefined) continue;
      if (k === 'cookie') cookies.push(...String(v).split(/;\s*/));
      else headers[k] = Array.isArray(v) ? v.join(',') : v;
    }
    const queryStringParameters: Record<string, string> = {};
    for (const [k, v] of url.searchParams) {
      queryStringParameters[k] = queryStringParameters[k] === undefined ? v : `${queryStringParameters[k]},${v}`;
    }
    const method = (req.method ?? 'GET').toUpperCase();
    const now = new Date();
    const routeKey = route.routeKey;
    const rawQuery = (req.url ?? '').includes('?') ? (req.url ?? '').slice((req.url ?? '').indexOf('?') + 1) : '';
    // API Gateway hands text bodies over as text and anything else as base64.
    const textual = /^(application\/(json|x-www-form-urlencoded)|text\/)/i.test(headers['content-type'] ?? 'application/json');
    return {
      version: '2.0',
      routeKey,
      rawPath: url.pathname,
      rawQueryString: rawQuery,
      ...(cookies.length ? { cookies } : {}),
      headers,
      ...(Object.keys(queryStringParameters).length ? { queryStringParameters } : {}),
      ...(route.pathParameters ? { pathParameters: route.pathParameters } : {}),
      requestContext: {
        accountId: '000000000000',
        apiId: 'localhttpapi',
        authorizer: { jwt: { claims: apiGatewayClaims(claims), scopes: null } },
        domainName: this.options.domainName,
        domainPrefix: this.options.domainName.split('.')[0],
        http: { method, path: url.pathname, protocol: `HTTP/${req.httpVersion}`, sourceIp: sourceIp(req), userAgent: req.headers['user-agent'] ?? '' },
        requestId: requestId(),
        routeKey,
        stage: '$default',
        time: requestTime(now),
        timeEpoch: now.getTime(),
      },
      ...(body.length ? { body: textual ? body.toString('utf8') : body.toString('base64') } : {}),
      isBase64Encoded: body.length > 0 && !textual,
    };
  }

  /** Payload format 2.0 responses, including the "plain object means 200 JSON" shortcut. */
  private respond(res: ServerResponse, result: any): void {
    if (result === null || typeof result !== 'object' || typeof result.statusCode !== 'number') {
      sendJson(res, 200, result ?? null);
      return;
    }
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(result.headers ?? {})) headers[k.toLowerCase()] = String(v);
    if (Array.isArray(result.cookies) && result.cookies.length) headers['set-cookie'] = result.cookies;
    const body = result.body === undefined || result.body === null
      ? Buffer.alloc(0)
      : result.isBase64Encoded ? Buffer.from(String(result.body), 'base64') : Buffer.from(String(result.body), 'utf8');
    if (body.length && !headers['content-type']) headers['content-type'] = 'application/json';
    headers['content-length'] = String(body.length);
    res.writeHead(result.statusCode, headers);
    res.end(body);
  }
}
