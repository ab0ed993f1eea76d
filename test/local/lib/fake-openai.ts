/**
 * A small OpenAI-compatible `/v1/chat/completions` server for tests: real HTTP, real server-sent
 * events written in odd slices, a non-streaming answer for title calls, and a 429 mode.
 */
import * as http from 'http';
import type { AddressInfo } from 'net';

/** The streamed answer, piece by piece. */
export const FAKE_PIECES = ['안녕', '하세요', '! 반갑', '습니다.'];

/** The models the fake lists at `GET /v1/models`. */
export const FAKE_MODELS = ['qwen-test', 'qwen2.5:7b'];

/** A running fake. */
export interface FakeOpenAi {
  baseUrl: string;
  requests: any[];
  /** What the next request answers. */
  mode: 'stream' | 'throttle' | 'length';
  /** While set, streamed answers wait for it before their first byte (a test's barrier). */
  hold?: Promise<void>;
  close(): Promise<void>;
}

/** Starts the fake on a free loopback port; streamed answers are `pieces`. */
export async function fakeOpenAi(pieces: readonly string[] | ((body: any) => readonly string[]) = FAKE_PIECES): Promise<FakeOpenAi> {
  const state: FakeOpenAi = { baseUrl: '', requests: [], mode: 'stream', close: async () => undefined };
  const server = http.createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/v1/models') {
      // The model list the stack checks at start (as Ollama's OpenAI-compatible API serves it).
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ object: 'list', data: FAKE_MODELS.map((id) => ({ id, object: 'model', owned_by: 'test' })) }));
      return;
    }
    let raw = '';
    req.on('data', (c) => { raw += c; });
    req.on('end', async () => {
      const body = JSON.parse(raw);
      state.requests.push({ url: req.url, auth: req.headers.authorization, body });
      if (state.mode === 'throttle') {
        res.writeHead(429, { 'content-type': 'application/json' }).end('{"error":{"message":"slow down"}}');
        return;
      }
      if (!body.stream) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ choices: [{ message: { role: 'assistant', content: '짧은 제목' }, finish_reason: 'stop' }], usage: { prompt_tokens: 7, completion_tokens: 3 } }));
        return;
      }
      if (state.hold) await state.hold;
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const chunks = typeof pieces === 'function' ? pieces(body) : pieces;
      const events = chunks.map((c) => ({ choices: [{ index: 0, delta: { content: c }, finish_reason: null }] }));
      events.push({ choices: [{ index: 0, delta: {}, finish_reason: state.mode === 'length' ? 'length' : 'stop' }] } as any);
      events.push({ choices: [], usage: { prompt_tokens: 21, completion_tokens: 9 } } as any);
      // Written in odd slices so the SSE parser must join lines across network chunks.
      const text = events.map((e) => `data: ${JSON.stringify(e)}\n\n`).join('') + 'data: [DONE]\n\n';
      const bytes = Buffer.from(text);
      let i = 0;
      const tick = () => {
        if (i >= bytes.length) { res.end(); return; }
        res.write(bytes.subarray(i, i + 37));
        i += 37;
        setImmediate(tick);
      };
      tick();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  state.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  state.close = () => new Promise<void>((r) => { server.close(() => r()); server.closeAllConnections(); });
  return state;
}
