import * as http from 'http';
import { WebSocket } from 'ws';
import { api, chat, login, newMessageId, openSocket } from './lib/chat';
import { clientAttachmentsConfig } from '../../src/contract/attachments';
import { buildSendFrames, GATEWAY_MAX_MESSAGE_BYTES } from '../../src/contract/protocol';
import { LocalAuth } from '../../src/local/local-sign-in';
import { LocalStack, startLocalStack } from '../../src/local/stack';
import { refusedStatus } from '../local/lib/ws-client';

// The whole local stack in this process — real handlers, dynalite, @connections endpoint, model
// server with the offline brain — driven over real sockets as the web client drives it.

/** Small enough that a few Korean offline turns overflow it. */
const HISTORY_BUDGET = 700;

let stack: LocalStack;
let alice: string;
let bob: string;

beforeAll(async () => {
  stack = await startLocalStack({ port: 0, inMemory: true, model: 'offline', offlineCps: 5000, historyTokenBudget: HISTORY_BUDGET, log: () => undefined });
  alice = await login(stack.url, 'alice');
  bob = await login(stack.url, '밥');
});
afterAll(async () => {
  await stack?.close();
});

describe('local stack end to end', () => {
  let conversationId: string;

  test('a Korean message streams accepted → contiguous deltas → done, and is stored and listed', async () => {
    const s = await openSocket(stack.wsUrl, alice);
    try {
      const reply = await chat(s, '안녕하세요! 서울의 날씨는 어때요?');
      conversationId = reply.accepted.conversationId;
      expect(reply.deltas.length).toBeGreaterThan(0);
      expect(reply.deltas.map((d) => d.seq)).toEqual(reply.deltas.map((_, i) => i));
      expect(reply.text).toMatch(/^\[offline model\] context: 0 messages · 오프라인 데모 모델/);
      expect(reply.text).toContain('안녕하세요! 서울의 날씨는 어때요?');
      expect(Array.from(reply.text).length).toBeGreaterThanOrEqual(300);
      expect(reply.done).toMatchObject({ conversationId, stopReason: 'end_turn' });
      expect(reply.done.usage.outputTokens).toBeGreaterThan(0);
      // Frames come in protocol order: nothing about this reply before accepted or after done.
      const mine = s.frames.filter((f) => f.replyId === reply.accepted.replyId || f.messageId === reply.accepted.messageId);
      expect(mine[0].type).toBe('accepted');
      expect(mine.filter((f) => f.type !== 'title').at(-1).type).toBe('done');

      const list = await api(stack.url, alice, '/conversations');
      expect(list.status).toBe(200);
      expect(list.body.items.map((c: any) => c.conversationId)).toContain(conversationId);
      const messages = await api(stack.url, alice, `/conversations/${conversationId}/messages`);
      expect(messages.status).toBe(200);
      expect(messages.body.items.map((m: any) => [m.role, m.status])).toEqual([['user', 'complete'], ['assistant', 'complete']]);
      expect(messages.body.items[0].text).toBe('안녕하세요! 서울의 날씨는 어때요?');
      expect(messages.body.items[1]).toMatchObject({ messageId: reply.accepted.replyId, text: reply.text });
    } finally { s.ws.close(); }
  });

  test('another user gets 404 for that conversation on every route, and an empty list', async () => {
    expect(conversationId).toBeDefined();
    expect((await api(stack.url, bob, `/conversations/${conversationId}`)).status).toBe(404);
    expect((await api(stack.url, bob, `/conversations/${conversationId}/messages`)).status).toBe(404);
    expect((await api(stack.url, bob, `/conversations/${conversationId}`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: '{"title":"mine now"}' })).status).toBe(404);
    expect((await api(stack.url, bob, `/conversations/${conversationId}`, { method: 'DELETE' })).status).toBe(404);
    expect((await api(stack.url, bob, '/conversations')).body.items).toEqual([]);
    // Still there for its owner, untouched.
    expect((await api(stack.url, alice, `/conversations/${conversationId}/messages`)).body.items).toHaveLength(2);
  });

  test('another user cannot continue that conversation over the socket either', async () => {
    const s = await openSocket(stack.wsUrl, bob);
    try {
      const messageId = newMessageId();
      s.send({ action: 'sendMessage', messageId, conversationId, text: '끼어들기' });
      const err = await s.next((f) => f.type === 'error' && f.messageId === messageId);
      expect(err.code).toBe('NOT_FOUND');
    } finally { s.ws.close(); }
    expect((await api(stack.url, alice, `/conversations/${conversationId}/messages`)).body.items).toHaveLength(2);
  });

  test('a forged, expired or missing token is refused with 401 at the handshake; the HTTP API says 401 too', async () => {
    const forger = new LocalAuth({ issuer: `${stack.url}/local` });
    const forged = forger.login({ username: 'alice' });
    if (!forged.ok) throw new Error('forger login failed');
    expect(await refusedStatus(`${stack.wsUrl}?token=${forged.idToken}`)).toBe(401);
    expect(await refusedStatus(`${stack.wsUrl}?token=${stack.auth.sign('someone', 'someone', { exp: Math.floor(Date.now() / 1000) - 5 })}`)).toBe(401);
    expect(await refusedStatus(`${stack.wsUrl}?token=${stack.auth.sign('someone', 'someone', { aud: 'another-client' })}`)).toBe(401);
    expect(await refusedStatus(`${stack.wsUrl}?token=not.a.jwt`)).toBe(401);
    expect(await refusedStatus(stack.wsUrl)).toBe(401);
    expect((await api(stack.url, forged.idToken, '/conversations')).status).toBe(401);
  });

  test('a malformed frame gets BAD_REQUEST and the socket stays usable', async () => {
    const s = await openSocket(stack.wsUrl, alice);
    try {
      s.send('{"action": "sendMessage", oops');
      expect(await s.next((f) => f.type === 'error')).toMatchObject({ code: 'BAD_REQUEST', retryable: false });
      s.send({ action: 'sendMessage', messageId: 'short', text: 'x' });
      await s.next((f) => f.type === 'error' && f !== s.frames[0]);
      expect(s.frames.filter((f) => f.type === 'error').every((f) => f.code === 'BAD_REQUEST')).toBe(true);
      s.send({ action: 'ping' });
      await s.next((f) => f.type === 'pong');
      const reply = await chat(s, '여전히 되나요?', conversationId);
      expect(reply.done.stopReason).toBe('end_turn');
    } finally { s.ws.close(); }
  });

  test('a frame over 32 KB closes the socket with 1009 as API Gateway does, and loses nothing stored', async () => {
    const before = (await api(stack.url, alice, `/conversations/${conversationId}/messages`)).body.items;
    const s = await openSocket(stack.wsUrl, alice);
    s.send({ action: 'sendMessage', messageId: newMessageId(), text: '가'.repeat(11_000) }); // ~33,000 bytes in one frame
    expect((await s.closed).code).toBe(1009);
    expect(s.frames).toEqual([]);
    expect((await api(stack.url, alice, `/conversations/${conversationId}/messages`)).body.items).toEqual(before);
    // The gateway's whole-message limit sits above the frame limit.
    expect(GATEWAY_MAX_MESSAGE_BYTES).toBeGreaterThan(32 * 1024);
  });

  test('a message split into 32 KiB parts (16,000 Hangul characters) is accepted once and answered', async () => {
    const s = await openSocket(stack.wsUrl, alice);
    try {
      const text = '한'.repeat(16_000);
      const frames = buildSendFrames({ messageId: newMessageId(), text, conversationId });
      expect(frames.length).toBeGreaterThan(1);
      for (const f of frames) s.send(f);
      const accepted = await s.next((f) => f.type === 'accepted' || f.type === 'error');
      expect(accepted.type).toBe('accepted');
      const done = await s.next((f) => f.type === 'done' && f.replyId === accepted.replyId);
      expect(done.stopReason).toBe('end_turn');
      expect(s.frames.filter((f) => f.type === 'accepted')).toHaveLength(1);
    } finally { s.ws.close(); }
  });

  test('the offline reply\'s context grows with the conversation and stays bounded by the history budget', async () => {
    const s = await openSocket(stack.wsUrl, bob);
    try {
      const counts: number[] = [];
      let conv: string | undefined;
      for (let i = 0; i < 6; i++) {
        const reply = await chat(s, `${i + 1}번째 질문입니다.`, conv);
        conv = reply.accepted.conversationId;
        counts.push(Number(/^\[offline model\] context: (\d+) messages/.exec(reply.text)![1]));
      }
      expect(counts[0]).toBe(0);
      expect(counts[1]).toBe(2);
      expect(counts[2]).toBe(4);
      // Each Korean offline turn is ~300 tokens: a 700-token budget never holds all 10 prior messages.
      expect(counts[5]).toBeLessThan(10);
      expect(Math.max(...counts)).toBeLessThanOrEqual(4);
      expect(counts.every((n) => n % 2 === 0)).toBe(true);
    } finally { s.ws.close(); }
  });

  test('the client, /config.json and the JWKS are served from the same origin', async () => {
    const index = await fetch(`${stack.url}/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toMatch(/text\/html/);
    expect(index.headers.get('content-security-policy')).toMatch(/default-src 'self'/);
    const config = await (await fetch(`${stack.url}/config.json`)).json();
    expect(config).toEqual({
      webSocketUrl: stack.wsUrl,
      apiUrl: '/api',
      auth: { mode: 'local' },
      model: { provider: 'offline', modelId: stack.modelId },
      models: [{ modelId: 'offline', label: { ko: '오프라인 데모', en: 'Offline demo' } }],
      defaultModelId: 'offline',
      limits: { maxInputChars: 16000, maxFrameBytes: 32768 },
      attachments: clientAttachmentsConfig(),
    });
    // The chat handler allows exactly the models the client lists.
    expect(stack.environment.chat.models?.map((m) => m.modelId)).toEqual(config.models.map((m: { modelId: string }) => m.modelId));
    const jwks = await (await fetch(`${stack.url}/local/.well-known/jwks.json`)).json();
    expect(jwks.keys[0]).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig' });
    expect(jwks.keys[0].d).toBeUndefined();
  });

  test('a sign-in body of 4,096 bytes is read and one byte more is refused with 413', async () => {
    const body = (n: number) => {
      const json = JSON.stringify({ username: '캐롤' });
      return json + ' '.repeat(n - Buffer.byteLength(json));
    };
    const post = (b: string) => fetch(`${stack.url}/local/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: b });
    expect(Buffer.byteLength(body(4096))).toBe(4096);
    expect((await post(body(4096))).status).toBe(200);
    const over = await post(body(4097));
    expect(over.status).toBe(413);
    expect(await over.json()).toMatchObject({ code: 'TOO_LARGE' });
    expect((await post('{"username": ')).status).toBe(400);
    expect((await fetch(`${stack.url}/local/login`)).status).toBe(405);
  });

  test('static paths cannot climb out of the client folder', async () => {
    // Deep enough to reach / from wherever the client folder is.
    const up = 16;
    for (const raw of [`/${'../'.repeat(up)}etc/passwd`, `/${'%2e%2e/'.repeat(up)}etc/passwd`, `/${'..%2f'.repeat(up)}etc%2fpasswd`]) {
      // Sent as written: a URL string would have its dot segments resolved before sending.
      const { hostname, port } = new URL(stack.url);
      const body = await new Promise<string>((resolve, reject) => {
        http.get({ hostname, port, path: raw }, (res) => {
          let b = '';
          res.on('data', (c) => { b += c; });
          res.on('end', () => resolve(b));
        }).on('error', reject);
      });
      expect(body).not.toMatch(/root:/);
    }
  });

  test('closing the stack closes open sockets with 1001', async () => {
    const s = await openSocket(stack.wsUrl, alice);
    const closing = stack.close();
    expect((await s.closed).code).toBe(1001);
    await closing;
    expect(s.ws.readyState).toBe(WebSocket.CLOSED);
  });
});

