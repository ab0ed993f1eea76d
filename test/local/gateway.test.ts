import * as http from 'http';
import type { AddressInfo } from 'net';
import { ApiGatewayManagementApiClient, GoneException, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { WebSocket } from 'ws';
import { connect, refusedStatus } from './lib/ws-client';
import { AsyncRoute, SEND_MESSAGE_TEMPLATE } from '../../src/contract/routes';
import { startConnectionsServer } from '../../src/local/connections-server';
import { WebSocketGateway } from '../../src/local/gateway';
import { policyAllows } from '../../src/local/gateway-events';

// The gateway is tested here with small in-test Lambda functions so that each AWS behaviour is
// seen in isolation; test/e2e runs it with the real handlers.

interface Rig {
  url: string;
  gateway: WebSocketGateway;
  events: any[];
  authorizerCalls: number;
  /** messageIds of sendMessage invocations that ran to their end. */
  finished: string[];
  close(): Promise<void>;
  /** Resolves the sendMessage invocation that is being held, if any. */
  release(): void;
  /** Makes the next sendMessage invocations wait for {@link release}. */
  holdNext(): void;
  /** Resolves with the first recorded event matching `predicate` (past or future). */
  event(predicate: (e: any) => boolean): Promise<any>;
}

function allow(principalId: string, methodArn: string) {
  return { principalId, policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: methodArn }] }, context: { username: 'alice' } };
}

async function rig(options: { idleTimeoutMs?: number; maxConnectionMs?: number; asyncRoutes?: readonly AsyncRoute[] } = {}): Promise<Rig> {
  const server = http.createServer((_req, res) => res.writeHead(404).end());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const events: any[] = [];
  const waiters: Array<() => void> = [];
  let hold: Promise<void> = Promise.resolve();
  let release = () => {};
  const state = { authorizerCalls: 0 };
  const finished: string[] = [];
  const record = (e: any) => {
    events.push(e);
    for (const w of waiters.splice(0)) w();
  };
  const gateway: WebSocketGateway = new WebSocketGateway({
    domainName: `127.0.0.1:${port}`,
    idleTimeoutMs: options.idleTimeoutMs,
    maxConnectionMs: options.maxConnectionMs,
    asyncRoutes: options.asyncRoutes,
    log: () => undefined,
    authorizer: async (event) => {
      state.authorizerCalls++;
      record(event);
      const token = event.queryStringParameters?.token;
      if (token === 'deny') return { principalId: 'x', policyDocument: { Statement: [{ Action: 'execute-api:Invoke', Effect: 'Deny', Resource: event.methodArn }] } };
      if (token === 'wrong-arn') return allow('user-1', 'arn:aws:execute-api:local:000000000000:other/local/$connect');
      if (token !== 'good') throw new Error('Unauthorized');
      return allow('user-1', event.methodArn);
    },
    chat: async (event) => {
      record(event);
      const route = event.requestContext.routeKey;
      if (route === 'sendMessage') {
        await hold;
        finished.push(event.body.messageId);
        gateway.post(event.requestContext.connectionId, Buffer.from(JSON.stringify({ type: 'echo', body: event.body })));
      } else if (route === 'ping') {
        gateway.post(event.requestContext.connectionId, Buffer.from('{"type":"pong"}'));
      } else if (route === '$default') {
        if (event.body === 'explode') throw new Error('boom');
        gateway.post(event.requestContext.connectionId, Buffer.from(JSON.stringify({ type: 'default', bytes: Buffer.byteLength(event.body) })));
      }
      return { statusCode: 200 };
    },
  });
  gateway.attach(server);
  return {
    url: `ws://127.0.0.1:${port}/ws`,
    gateway,
    events,
    finished,
    get authorizerCalls() { return state.authorizerCalls; },
    release: () => release(),
    holdNext: () => { hold = new Promise<void>((r) => { release = r; }); },
    event: async (predicate) => {
      for (;;) {
        const hit = events.find(predicate);
        if (hit) return hit;
        await new Promise<void>((r) => waiters.push(r));
      }
    },
    close: async () => {
      release();
      await gateway.close();
      await new Promise<void>((r) => { server.close(() => r()); server.closeAllConnections(); });
    },
  };
}

describe('WebSocket gateway emulator', () => {
  test('a handshake without a token is refused with 401 and never reaches the authorizer', async () => {
    const r = await rig();
    try {
      expect(await refusedStatus(r.url)).toBe(401);
      expect(r.authorizerCalls).toBe(0);
    } finally { await r.close(); }
  });

  test('an authorizer failing with "Unauthorized" refuses the handshake with 401; a Deny policy or a policy for another ARN with 403', async () => {
    const r = await rig();
    try {
      expect(await refusedStatus(`${r.url}?token=forged`)).toBe(401);
      expect(await refusedStatus(`${r.url}?token=deny`)).toBe(403);
      expect(await refusedStatus(`${r.url}?token=wrong-arn`)).toBe(403);
      expect(r.events.filter((e) => e.requestContext.routeKey === '$connect' && !e.type)).toHaveLength(0);
      expect(await refusedStatus(`ws://${new URL(r.url).host}/elsewhere?token=good`)).toBe(404);
    } finally { await r.close(); }
  });

  test('$connect runs the authorizer with a REQUEST event, then the chat handler with the principal', async () => {
    const r = await rig();
    try {
      const s = await connect(`${r.url}?token=good`);
      const auth = r.events.find((e) => e.type === 'REQUEST');
      expect(auth.methodArn).toMatch(/^arn:aws:execute-api:[^:]+:\d{12}:[^/]+\/local\/\$connect$/);
      expect(auth.queryStringParameters).toEqual({ token: 'good' });
      expect(auth.requestContext).toMatchObject({ routeKey: '$connect', eventType: 'CONNECT', stage: 'local' });
      const conn = r.events.find((e) => !e.type && e.requestContext.routeKey === '$connect');
      expect(conn.requestContext).toMatchObject({ eventType: 'CONNECT', authorizer: { principalId: 'user-1', username: 'alice' } });
      expect(conn.requestContext.connectionId).toMatch(/^[A-Za-z0-9_-]{14}=?=?$/);
      expect(conn.requestContext.connectionId).toBe(auth.requestContext.connectionId);
      expect(typeof conn.requestContext.connectedAt).toBe('number');
      s.ws.close();
      const disc = await r.event((e) => e.requestContext.routeKey === '$disconnect');
      expect(disc.requestContext).toMatchObject({ eventType: 'DISCONNECT', connectionId: conn.requestContext.connectionId, authorizer: { principalId: 'user-1' } });
    } finally { await r.close(); }
  });

  test('frames are routed on body.action: known actions to their route, anything else to $default', async () => {
    const r = await rig();
    try {
      const s = await connect(`${r.url}?token=good`);
      s.send({ action: 'ping' });
      await s.next((f) => f.type === 'pong');
      const ping = r.events.find((e) => e.requestContext.routeKey === 'ping');
      expect(ping.body).toBe('{"action":"ping"}');
      expect(ping.requestContext).toMatchObject({ eventType: 'MESSAGE', authorizer: { principalId: 'user-1' } });
      s.send('not json at all');
      s.send({ action: 'noSuchAction' });
      await s.next((f) => f.type === 'default' && f.bytes === 15);
      await s.next((f) => f.type === 'default' && f.bytes === '{"action":"noSuchAction"}'.length);
      expect(r.events.filter((e) => e.requestContext.routeKey === '$default')).toHaveLength(2);
      s.ws.close();
    } finally { await r.close(); }
  });

  test('sendMessage is invoked asynchronously with the request template\'s event: later frames do not wait for it', async () => {
    const r = await rig();
    try {
      const s = await connect(`${r.url}?token=good`);
      r.holdNext();
      s.send({ action: 'sendMessage', messageId: 'msg-00001', text: '안녕하세요' });
      const ev = await r.event((e) => e.requestContext.routeKey === 'sendMessage');
      // Exactly the fields SEND_MESSAGE_TEMPLATE (src/contract/routes.ts) renders, body as an object.
      expect(Object.keys(ev).sort()).toEqual(['body', 'requestContext']);
      expect(Object.keys(ev.requestContext).sort()).toEqual(['authorizer', 'connectionId', 'domainName', 'requestId', 'routeKey', 'stage']);
      expect(ev.requestContext.authorizer).toEqual({ principalId: 'user-1' });
      expect(ev.body).toEqual({ action: 'sendMessage', messageId: 'msg-00001', text: '안녕하세요' });
      s.send({ action: 'ping' });
      await s.next((f) => f.type === 'pong');
      expect(s.frames.some((f) => f.type === 'echo')).toBe(false);
      r.release();
      await s.next((f) => f.type === 'echo');
      s.ws.close();
    } finally { await r.close(); }
  });

  test('the async event is what the request template renders: a changed template changes the event', async () => {
    const template = SEND_MESSAGE_TEMPLATE.replace('"body":', '"copy":"$util.escapeJavaScript($input.body)","body":');
    const r = await rig({ asyncRoutes: [{ routeKey: 'sendMessage', requestTemplate: template, templateKey: '$default' }] });
    try {
      const s = await connect(`${r.url}?token=good`);
      const frame = { action: 'sendMessage', messageId: 'msg-00002', text: '따옴표 " 와 \\ 그리고 $x' };
      s.send(frame);
      const ev = await r.event((e) => e.requestContext.routeKey === 'sendMessage');
      expect(Object.keys(ev).sort()).toEqual(['body', 'copy', 'requestContext']);
      expect(ev.copy).toBe(JSON.stringify(frame));
      expect(ev.body).toEqual(frame);
      s.ws.close();
    } finally { await r.close(); }
  });

  test('a request template that does not render to JSON fails the integration: the handler is not called', async () => {
    const r = await rig({ asyncRoutes: [{ routeKey: 'sendMessage', requestTemplate: '{"body":$input.body', templateKey: '$default' }] });
    try {
      const s = await connect(`${r.url}?token=good`);
      s.send({ action: 'sendMessage', messageId: 'msg-00003', text: 'x' });
      await s.next((f) => f.message === 'Internal server error');
      s.send({ action: 'ping' });
      await s.next((f) => f.type === 'pong');
      expect(r.events.some((e) => e.requestContext?.routeKey === 'sendMessage')).toBe(false);
      s.ws.close();
    } finally { await r.close(); }
  });

  test('a failing proxy integration answers "Internal server error" and the connection stays open', async () => {
    const r = await rig();
    try {
      const s = await connect(`${r.url}?token=good`);
      s.send('explode');
      const f = await s.next((x) => x.message === 'Internal server error');
      expect(f.connectionId).toBeDefined();
      s.send({ action: 'ping' });
      await s.next((x) => x.type === 'pong');
      s.ws.close();
    } finally { await r.close(); }
  });

  test('a frame of exactly 32,768 bytes is delivered; one byte more closes the connection with 1009', async () => {
    const r = await rig();
    try {
      const s = await connect(`${r.url}?token=good`);
      const edge = '가'.repeat(10922) + 'ab'; // 10922 × 3 + 2 = 32,768 bytes
      expect(Buffer.byteLength(edge)).toBe(32768);
      s.send(edge);
      await s.next((f) => f.type === 'default' && f.bytes === 32768);
      s.send(`${edge}c`);
      const closed = await s.closed;
      expect(closed.code).toBe(1009);
      expect(r.events.filter((e) => e.requestContext.routeKey === '$default')).toHaveLength(1);
    } finally { await r.close(); }
  });

  test('a message in 32 KB fragments is reassembled up to 128 KB; past 128 KB the connection closes with 1009', async () => {
    const r = await rig();
    try {
      const s = await connect(`${r.url}?token=good`);
      const piece = 'x'.repeat(32768);
      for (let i = 0; i < 3; i++) s.ws.send(piece, { fin: false });
      s.ws.send(piece, { fin: true }); // 131,072 bytes: at the limit
      await s.next((f) => f.type === 'default' && f.bytes === 131072);
      for (let i = 0; i < 4; i++) s.ws.send(piece, { fin: false });
      s.ws.send('y', { fin: true }); // 131,073 bytes
      expect((await s.closed).code).toBe(1009);
    } finally { await r.close(); }
  });

  test('an idle connection is closed with 1001 and $disconnect runs', async () => {
    const r = await rig({ idleTimeoutMs: 300 });
    try {
      const s = await connect(`${r.url}?token=good`);
      const closed = await s.closed;
      expect(closed.code).toBe(1001);
      const disc = await r.event((e) => e.requestContext.routeKey === '$disconnect');
      expect(disc.requestContext.disconnectStatusCode).toBe(1001);
    } finally { await r.close(); }
  });

  test('a connection is closed with 1001 after its maximum duration even while it is busy', async () => {
    const r = await rig({ maxConnectionMs: 400, idleTimeoutMs: 60_000 });
    try {
      const s = await connect(`${r.url}?token=good`);
      const pinger = setInterval(() => s.send({ action: 'ping' }), 50);
      const closed = await s.closed;
      clearInterval(pinger);
      expect(closed.code).toBe(1001);
      expect(s.frames.filter((f) => f.type === 'pong').length).toBeGreaterThan(0);
    } finally { await r.close(); }
  });

  test('shutting down waits for a running sendMessage to finish, but only up to the drain time', async () => {
    const r = await rig();
    const s = await connect(`${r.url}?token=good`);
    r.holdNext();
    s.send({ action: 'sendMessage', messageId: 'msg-drain-1', text: 'x' });
    await r.event((e) => e.requestContext.routeKey === 'sendMessage');
    const closing = r.gateway.close(60_000);
    setTimeout(() => r.release(), 100);
    await closing;
    expect(r.finished).toEqual(['msg-drain-1']);

    const r2 = await rig();
    const s2 = await connect(`${r2.url}?token=good`);
    r2.holdNext();
    s2.send({ action: 'sendMessage', messageId: 'msg-drain-2', text: 'x' });
    await r2.event((e) => e.requestContext.routeKey === 'sendMessage');
    await r2.gateway.close(50); // never released: close gives up waiting
    expect(r2.finished).toEqual([]);
    expect(r2.gateway.inFlight).toBe(1);
    await r.close();
    await r2.close();
    expect(s.ws.readyState).toBe(WebSocket.CLOSED);
  });

  test('the real ApiGatewayManagementApiClient posts through the @connections endpoint to the socket, and gets GoneException after it closes', async () => {
    const r = await rig();
    const endpoint = await startConnectionsServer(r.gateway);
    const client = new ApiGatewayManagementApiClient({ endpoint: endpoint.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    try {
      const s = await connect(`${r.url}?token=good`);
      const conn = r.events.find((e) => !e.type && e.requestContext.routeKey === '$connect');
      const id = conn.requestContext.connectionId;
      await client.send(new PostToConnectionCommand({ ConnectionId: id, Data: Buffer.from('{"type":"hello","text":"한국어"}') }));
      expect(await s.next((f) => f.type === 'hello')).toEqual({ type: 'hello', text: '한국어' });
      expect(r.gateway.info(id)?.sourceIp).toBe('127.0.0.1');
      s.ws.close();
      await r.event((e) => e.requestContext.routeKey === '$disconnect');
      await expect(client.send(new PostToConnectionCommand({ ConnectionId: id, Data: Buffer.from('{}') }))).rejects.toBeInstanceOf(GoneException);
      expect(r.gateway.post(id, Buffer.from('{}'))).toBe(false);
    } finally {
      client.destroy();
      await endpoint.close();
      await r.close();
    }
  });

  test('closing the gateway closes sockets with 1001 and runs $disconnect for each', async () => {
    const r = await rig();
    const s = await connect(`${r.url}?token=good`);
    const closed = s.closed;
    await r.close();
    expect((await closed).code).toBe(1001);
    expect(r.events.some((e) => e.requestContext.routeKey === '$disconnect')).toBe(true);
    expect(s.ws.readyState).toBe(WebSocket.CLOSED);
  });
});

describe('policyAllows', () => {
  const arn = 'arn:aws:execute-api:us-east-1:123456789012:abc/prod/$connect';
  test('allows a matching or wildcard resource, and an explicit Deny wins', () => {
    expect(policyAllows({ Statement: [{ Effect: 'Allow', Action: 'execute-api:Invoke', Resource: arn }] }, arn)).toBe(true);
    expect(policyAllows({ Statement: [{ Effect: 'Allow', Action: 'execute-api:Invoke', Resource: 'arn:aws:execute-api:us-east-1:123456789012:abc/*' }] }, arn)).toBe(true);
    expect(policyAllows({ Statement: [{ Effect: 'Allow', Action: 'execute-api:Invoke', Resource: ['arn:aws:execute-api:us-east-1:123456789012:abc/dev/*'] }] }, arn)).toBe(false);
    expect(policyAllows({
      Statement: [
        { Effect: 'Allow', Action: 'execute-api:Invoke', Resource: '*' },
        { Effect: 'Deny', Action: 'execute-api:Invoke', Resource: arn },
      ],
    }, arn)).toBe(false);
    expect(policyAllows(undefined, arn)).toBe(false);
  });
});
