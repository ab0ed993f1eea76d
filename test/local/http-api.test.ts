import * as http from 'http';
import type { AddressInfo } from 'net';
import { JwtVerifier } from 'aws-jwt-verify';
import { UNAUTHORIZED_BODY } from '../../src/contract/protocol';
import { matchHistoryRoute } from '../../src/contract/routes';
import { apiGatewayClaims, HTTP_API_MAX_BODY_BYTES, HttpApi } from '../../src/local/http-api';
import { LOCAL_CLIENT_ID, LocalAuth } from '../../src/local/local-sign-in';

// The HTTP API emulator with a small in-test history function; test/e2e runs the real handler.

const ISSUER = 'http://127.0.0.1/local';

async function rig(answer: (event: any) => any, timeoutMs?: number) {
  const auth = new LocalAuth({ issuer: ISSUER });
  const verifier = JwtVerifier.create({ issuer: ISSUER, audience: LOCAL_CLIENT_ID, jwksUri: `${ISSUER}/.well-known/jwks.json` });
  verifier.cacheJwks(auth.jwks as any);
  const events: any[] = [];
  const server = http.createServer();
  const port = await new Promise<number>((r) => server.listen(0, '127.0.0.1', () => r((server.address() as AddressInfo).port)));
  const api = new HttpApi({
    domainName: `127.0.0.1:${port}`,
    verify: async (t) => verifier.verify(t) as any,
    history: async (e) => { events.push(e); return answer(e); },
    log: () => undefined,
    timeoutMs,
  });
  server.on('request', (req, res) => { if (!api.handle(req, res)) res.writeHead(418).end(); });
  const login = auth.login({ username: 'alice' });
  if (!login.ok) throw new Error('login');
  return {
    base: `http://127.0.0.1:${port}`,
    token: login.idToken,
    sub: login.sub,
    auth,
    events,
    close: () => new Promise<void>((r) => { server.close(() => r()); server.closeAllConnections(); }),
  };
}

describe('HTTP API emulator', () => {
  test('a request without a bearer token or with a forged one gets 401 and never reaches the handler', async () => {
    const r = await rig(() => ({ statusCode: 200, body: '{}' }));
    try {
      const none = await fetch(`${r.base}/api/conversations`);
      expect(none.status).toBe(401);
      expect(await none.json()).toEqual(UNAUTHORIZED_BODY);
      const forgedAuth = new LocalAuth({ issuer: ISSUER }).login({ username: 'alice' });
      const forged = await fetch(`${r.base}/api/conversations`, { headers: { authorization: `Bearer ${forgedAuth.ok ? forgedAuth.idToken : ''}` } });
      expect(forged.status).toBe(401);
      const expired = await fetch(`${r.base}/api/conversations`, { headers: { authorization: `Bearer ${r.auth.sign(r.sub, 'alice', { exp: 1 })}` } });
      expect(expired.status).toBe(401);
      expect(r.events).toHaveLength(0);
    } finally { await r.close(); }
  });

  test('an unknown route is 404 before any authorization, as HTTP API answers it', async () => {
    const r = await rig(() => ({ statusCode: 200 }));
    try {
      const res = await fetch(`${r.base}/api/nothing-here`);
      expect(res.status).toBe(404);
      expect((await fetch(`${r.base}/api/conversations`, { method: 'POST', headers: { authorization: `Bearer ${r.token}` } })).status).toBe(404);
      expect(r.events).toHaveLength(0);
    } finally { await r.close(); }
  });

  test('the handler gets a payload-2.0 event with the route, decoded path parameters and string claims', async () => {
    const r = await rig(() => ({ statusCode: 200, headers: { 'Content-Type': 'application/json' }, body: '{"ok":true}' }));
    try {
      const res = await fetch(`${r.base}/api/conversations/conv_123456/messages?limit=5&cursor=a%2Bb`, { headers: { authorization: `Bearer ${r.token}` } });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ ok: true });
      const e = r.events[0];
      expect(e).toMatchObject({
        version: '2.0',
        routeKey: 'GET /api/conversations/{id}/messages',
        rawPath: '/api/conversations/conv_123456/messages',
        rawQueryString: 'limit=5&cursor=a%2Bb',
        queryStringParameters: { limit: '5', cursor: 'a+b' },
        pathParameters: { id: 'conv_123456' },
        isBase64Encoded: false,
        requestContext: { http: { method: 'GET', path: '/api/conversations/conv_123456/messages' }, stage: '$default', routeKey: 'GET /api/conversations/{id}/messages' },
      });
      expect(e.requestContext.authorizer.jwt.claims).toMatchObject({ sub: r.sub, token_use: 'id', aud: LOCAL_CLIENT_ID });
      expect(typeof e.requestContext.authorizer.jwt.claims.exp).toBe('string');
      expect(e.headers.authorization).toBe(`Bearer ${r.token}`);
    } finally { await r.close(); }
  });

  test('a PATCH body arrives as text; a handler answer without statusCode is 200 JSON; 204 has no body', async () => {
    let next: any = { conversationId: 'c', title: '새 제목' };
    const r = await rig(() => next);
    try {
      const res = await fetch(`${r.base}/api/conversations/conv_123456`, { method: 'PATCH', headers: { 'authorization': `Bearer ${r.token}`, 'content-type': 'application/json' }, body: '{"title":"새 제목"}' });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ conversationId: 'c', title: '새 제목' });
      expect(r.events[0].body).toBe('{"title":"새 제목"}');
      next = { statusCode: 204 };
      const del = await fetch(`${r.base}/api/conversations/conv_123456`, { method: 'DELETE', headers: { authorization: `Bearer ${r.token}` } });
      expect(del.status).toBe(204);
      expect(await del.text()).toBe('');
    } finally { await r.close(); }
  });

  test('a body of 10 MB is passed on and one byte more is refused with 413', async () => {
    const r = await rig((e) => ({ statusCode: 200, body: JSON.stringify({ bytes: Buffer.byteLength(e.body) }) }));
    try {
      const send = (n: number) => fetch(`${r.base}/api/conversations/conv_123456`, { method: 'PATCH', headers: { 'authorization': `Bearer ${r.token}`, 'content-type': 'text/plain' }, body: 'x'.repeat(n) });
      const edge = await send(HTTP_API_MAX_BODY_BYTES);
      expect(edge.status).toBe(200);
      expect(await edge.json()).toEqual({ bytes: HTTP_API_MAX_BODY_BYTES });
      expect((await send(HTTP_API_MAX_BODY_BYTES + 1)).status).toBe(413);
    } finally { await r.close(); }
  });

  test('a handler that outlives the integration timeout gets 503, as HTTP API answers', async () => {
    let finish = () => {};
    const r = await rig(() => new Promise((resolve) => { finish = () => resolve({ statusCode: 200, body: '{}' }); }), 100);
    try {
      const res = await fetch(`${r.base}/api/conversations`, { headers: { authorization: `Bearer ${r.token}` } });
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({ message: 'Service Unavailable' });
    } finally {
      finish();
      await r.close();
    }
  });

  test('route matching and claim conversion', () => {
    expect(matchHistoryRoute('GET', '/conversations/')).toBeUndefined();
    expect(matchHistoryRoute('GET', '/conversations/a/b')).toBeUndefined();
    expect(matchHistoryRoute('POST', '/conversations')).toBeUndefined();
    expect(matchHistoryRoute('DELETE', '/conversations/%ED%95%9C')).toMatchObject({ routeKey: 'DELETE /api/conversations/{id}', pathParameters: { id: '한' } });
    expect(apiGatewayClaims({ a: 1, b: true, c: ['x', 'y'], d: 's', e: null })).toEqual({ a: '1', b: 'true', c: '[x y]', d: 's' });
  });
});
