/**
 * A small WebSocket test client over `ws`: connects (or reports the HTTP status the handshake was
 * refused with), collects every frame, and waits for frames by predicate.
 */
import { WebSocket } from 'ws';

/** A connected test socket. */
export interface TestSocket {
  readonly ws: WebSocket;
  /** Every text message received, parsed when it was JSON. */
  readonly frames: any[];
  /** Resolves with the close code and reason. */
  readonly closed: Promise<{ code: number; reason: string }>;
  /** Resolves with the first received frame (past or future) matching `predicate`. */
  next(predicate: (frame: any) => boolean, timeoutMs?: number): Promise<any>;
  send(value: unknown): void;
}

/** Outcome of a refused handshake. */
export class HandshakeRefused extends Error {
  constructor(readonly status: number, readonly body: string) {
    super(`handshake refused with ${status}`);
  }
}

/** Opens a socket; rejects with {@link HandshakeRefused} when the server answers with an HTTP status. */
export function connect(url: string, options: { headers?: Record<string, string> } = {}): Promise<TestSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false, maxPayload: 1024 * 1024, headers: options.headers });
    const frames: any[] = [];
    const waiters: Array<() => void> = [];
    const closed = new Promise<{ code: number; reason: string }>((r) => {
      ws.on('close', (code, reason) => {
        r({ code, reason: reason.toString() });
        for (const w of waiters.splice(0)) w();
      });
    });
    ws.on('message', (data) => {
      const text = data.toString();
      let frame: any;
      try {
        frame = JSON.parse(text);
      } catch {
        frame = text;
      }
      frames.push(frame);
      for (const w of waiters.splice(0)) w();
    });
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => { body += c.toString(); });
      res.on('end', () => reject(new HandshakeRefused(res.statusCode ?? 0, body)));
      res.on('error', () => reject(new HandshakeRefused(res.statusCode ?? 0, body)));
    });
    ws.on('error', (err) => reject(err));
    ws.on('open', () => {
      resolve({
        ws,
        frames,
        closed,
        send: (value) => ws.send(typeof value === 'string' ? value : JSON.stringify(value)),
        next: async (predicate, timeoutMs = 20_000) => {
          const deadline = Date.now() + timeoutMs;
          let seen = 0;
          for (;;) {
            for (; seen < frames.length; seen++) if (predicate(frames[seen])) return frames[seen];
            if (ws.readyState === WebSocket.CLOSED) throw new Error(`socket closed while waiting; frames: ${JSON.stringify(frames).slice(0, 500)}`);
            const left = deadline - Date.now();
            if (left <= 0) throw new Error(`no matching frame; frames: ${JSON.stringify(frames).slice(0, 500)}`);
            await new Promise<void>((r) => {
              const t = setTimeout(r, left);
              waiters.push(() => { clearTimeout(t); r(); });
            });
          }
        },
      });
    });
  });
}

/** Connects and expects a refusal; resolves with its HTTP status. */
export async function refusedStatus(url: string): Promise<number> {
  try {
    const s = await connect(url);
    s.ws.terminate();
  } catch (err) {
    if (err instanceof HandshakeRefused) return err.status;
    throw err;
  }
  throw new Error('the handshake was accepted');
}
