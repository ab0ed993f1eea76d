/**
 * A loopback site for the Cognito sign-in path: serves the built client with a `cognito`
 * config.json, and plays Cognito managed login's OAuth2 endpoints (authorize, token with PKCE
 * check and refresh, revoke, logout) as documented, plus the minimum of the chat back end (an
 * accepting WebSocket and an empty conversation list) to record which token the page presents.
 * It stands in for Cognito because tests cannot reach AWS; everything on the page side is real.
 */
import { createHash, randomBytes } from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as path from 'path';
import { WebSocketServer } from 'ws';

const CLIENT_DIR = path.join(__dirname, '..', '..', '..', 'assets', 'client');
const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml' };

/** What the site saw. */
export interface CognitoSite {
  readonly url: string;
  readonly clientId: string;
  /** Query of every authorize request. */
  readonly authorizeRequests: URLSearchParams[];
  /** Body of every token request. */
  readonly tokenRequests: URLSearchParams[];
  readonly revokeRequests: URLSearchParams[];
  readonly logoutRequests: URLSearchParams[];
  /** ID tokens issued, in order. */
  readonly idTokens: string[];
  /** `token` query parameter of every WebSocket connection. */
  readonly socketTokens: string[];
  /** Bearer token of every /api request. */
  readonly apiTokens: string[];
  /** `expires_in` of the next token answers (seconds); tests shorten it to force a refresh. */
  expiresIn: number;
  close(): Promise<void>;
}

const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');

/** Starts the site on a free loopback port. */
export async function startCognitoSite(): Promise<CognitoSite> {
  const clientId = 'test-client-id-123';
  const codes = new Map<string, { challenge: string; redirectUri: string; nonce?: string }>();
  const refreshTokens = new Set<string>();
  const sub = '4a5b6c7d-0000-4000-8000-000000000001';
  const authTime = Math.floor(Date.now() / 1000);
  let server!: http.Server;
  const site: CognitoSite = {
    url: '',
    clientId,
    authorizeRequests: [],
    tokenRequests: [],
    revokeRequests: [],
    logoutRequests: [],
    idTokens: [],
    socketTokens: [],
    apiTokens: [],
    expiresIn: 3600,
    close: () => new Promise((r) => server.close(() => r())),
  };
  const idToken = (nonce?: string) => {
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      sub,
      email: 'jisoo@example.com',
      token_use: 'id',
      aud: clientId,
      auth_time: authTime,
      iss: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_TESTPOOL',
      iat: now,
      exp: now + 3600,
      jti: b64url(randomBytes(8)),
      ...(nonce ? { nonce } : {}),
    };
    const token = `${b64url(JSON.stringify({ alg: 'RS256', kid: 'test' }))}.${b64url(JSON.stringify(claims))}.${b64url('not-verified-by-the-client')}`;
    site.idTokens.push(token);
    return token;
  };
  const json = (res: http.ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify(body));
  };
  const readBody = (req: http.IncomingMessage) => new Promise<string>((resolve) => {
    let body = '';
    req.on('data', (c: Buffer) => { body += c.toString(); });
    req.on('end', () => resolve(body));
  });

  server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', site.url);
    const domain = `${site.url}/cognito`;
    if (url.pathname === '/config.json') {
      return json(res, 200, {
        webSocketUrl: `${site.url.replace('http', 'ws')}/ws`,
        apiUrl: '/api',
        auth: { mode: 'cognito', region: 'eu-west-1', userPoolId: 'eu-west-1_TESTPOOL', clientId, domain },
        model: { provider: 'bedrock', modelId: 'global.anthropic.claude-sonnet-4-5-20250929-v1:0' },
        limits: { maxInputChars: 16000, maxFrameBytes: 32768 },
      });
    }
    if (url.pathname === '/cognito/oauth2/authorize') {
      site.authorizeRequests.push(url.searchParams);
      const q = url.searchParams;
      if (q.get('client_id') !== clientId || q.get('response_type') !== 'code' || q.get('code_challenge_method') !== 'S256' || !q.get('code_challenge')) {
        return json(res, 400, { error: 'invalid_request' });
      }
      // The person is already signed in to managed login: straight back with a code.
      const code = b64url(randomBytes(12));
      codes.set(code, { challenge: q.get('code_challenge')!, redirectUri: q.get('redirect_uri')!, nonce: q.get('nonce') ?? undefined });
      const back = new URL(q.get('redirect_uri')!);
      back.searchParams.set('code', code);
      back.searchParams.set('state', q.get('state')!);
      res.writeHead(302, { location: back.toString() });
      return res.end();
    }
    if (url.pathname === '/cognito/oauth2/token' && req.method === 'POST') {
      const form = new URLSearchParams(await readBody(req));
      site.tokenRequests.push(form);
      if (form.get('client_id') !== clientId) return json(res, 400, { error: 'invalid_client' });
      if (form.get('grant_type') === 'authorization_code') {
        const grant = codes.get(form.get('code') ?? '');
        codes.delete(form.get('code') ?? '');
        const verifier = form.get('code_verifier') ?? '';
        if (!grant || grant.redirectUri !== form.get('redirect_uri') || b64url(createHash('sha256').update(verifier).digest()) !== grant.challenge) {
          return json(res, 400, { error: 'invalid_grant' });
        }
        const refresh = b64url(randomBytes(16));
        refreshTokens.add(refresh);
        return json(res, 200, { id_token: idToken(grant.nonce), access_token: b64url(randomBytes(16)), refresh_token: refresh, token_type: 'Bearer', expires_in: site.expiresIn });
      }
      if (form.get('grant_type') === 'refresh_token' && refreshTokens.has(form.get('refresh_token') ?? '')) {
        // Cognito answers a refresh with new ID and access tokens and no new refresh token.
        return json(res, 200, { id_token: idToken(), access_token: b64url(randomBytes(16)), token_type: 'Bearer', expires_in: site.expiresIn });
      }
      return json(res, 400, { error: 'invalid_grant' });
    }
    if (url.pathname === '/cognito/oauth2/revoke' && req.method === 'POST') {
      const form = new URLSearchParams(await readBody(req));
      site.revokeRequests.push(form);
      refreshTokens.delete(form.get('token') ?? '');
      res.writeHead(200);
      return res.end();
    }
    if (url.pathname === '/cognito/logout') {
      site.logoutRequests.push(url.searchParams);
      res.writeHead(302, { location: url.searchParams.get('logout_uri') ?? '/' });
      return res.end();
    }
    if (url.pathname.startsWith('/api/')) {
      site.apiTokens.push((req.headers.authorization ?? '').replace(/^Bearer /, ''));
      return json(res, 200, { items: [] });
    }
    const file = path.join(CLIENT_DIR, url.pathname === '/' ? 'index.html' : path.normalize(url.pathname));
    if (!file.startsWith(CLIENT_DIR) || !fs.existsSync(file)) {
      res.writeHead(404);
      return res.end();
    }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' });
    return res.end(fs.readFileSync(file));
  });
  const wss = new WebSocketServer({ server, path: '/ws' });
  wss.on('connection', (_ws, req) => {
    site.socketTokens.push(new URL(req.url ?? '/', site.url).searchParams.get('token') ?? '');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  (site as { url: string }).url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return site;
}
