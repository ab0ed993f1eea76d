/**
 * A scripted chat user for the bench and the load suite: signs in at the local stack, opens the
 * WebSocket with its ID token and records every frame it receives with its receipt time and its
 * size on the wire. It speaks only the wire contract (src/contract/protocol.ts), like the web client.
 */
import WebSocket from 'ws';
import { nowMs } from './stats';
import type { ServerFrame, DeltaFrame, DoneFrame, ErrorFrame, AcceptedFrame } from '../../../src/contract/protocol';

/** One frame as the client saw it. */
export interface ReceivedFrame {
  /** `performance.now()` when the frame was delivered to the client. */
  readonly at: number;
  /** Payload bytes (UTF-8 JSON). */
  readonly payloadBytes: number;
  /** Payload plus the WebSocket frame header (server frames are unmasked, no compression). */
  readonly wireBytes: number;
  /** The parsed frame; `undefined` when it was not JSON (then `raw` holds it). */
  readonly frame: unknown;
  readonly raw: string;
}

/** Signs in at the local stack (`POST /local/login`) and returns the ID token. */
export async function login(httpUrl: string, username: string): Promise<string> {
  const res = await fetch(`${httpUrl}/local/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username }),
  });
  if (res.status !== 200) throw new Error(`login as ${username} answered ${res.status}: ${await res.text()}`);
  const body = await res.json() as { idToken?: string };
  if (!body.idToken) throw new Error('login answered no idToken');
  return body.idToken;
}

/** Bytes of the WebSocket header of an unmasked server frame with this payload length (RFC 6455 §5.2). */
export function frameHeaderBytes(payloadLength: number): number {
  if (payloadLength < 126) return 2;
  if (payloadLength < 65_536) return 4;
  return 10;
}

/** What came of a handshake: a socket, or the HTTP status that refused it. */
export type ConnectResult = { ok: true; client: WireClient } | { ok: false; status: number };

/**
 * Opens a WebSocket to `<wsUrl>?token=<token>`. A refused handshake (e.g. 401 for a forged token)
 * is a result, not an exception, so callers can assert on it.
 */
export function connect(wsUrl: string, token: string | undefined): Promise<ConnectResult> {
  const url = token === undefined ? wsUrl : `${wsUrl}${wsUrl.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}`;
  return new Promise((resolve, reject) => {
    // API Gateway negotiates no compression; neither do we, so byte counts match the deployed wire.
    const ws = new WebSocket(url, { perMessageDeflate: false });
    const client = new WireClient(ws);
    ws.once('open', () => resolve({ ok: true, client }));
    ws.once('unexpected-response', (_req, res) => {
      res.resume();
      resolve({ ok: false, status: res.statusCode ?? 0 });
      ws.terminate();
    });
    ws.once('error', (err) => reject(err));
  });
}

/** Opens a socket that must be accepted. */
export async function mustConnect(wsUrl: string, token: string): Promise<WireClient> {
  const r = await connect(wsUrl, token);
  if (!r.ok) throw new Error(`handshake refused with ${r.status}`);
  return r.client;
}

type Waiter = {
  match: (f: ReceivedFrame) => boolean;
  resolve: (f: ReceivedFrame) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
  what: string;
};

/** A connected user. Frames are kept in arrival order in `frames`. */
export class WireClient {
  /** Every frame received, in order. */
  public readonly frames: ReceivedFrame[] = [];
  /** Close code when the socket closed, else undefined. */
  public closeCode: number | undefined;
  private waiters: Waiter[] = [];
  private closedListeners: Array<() => void> = [];

  constructor(private readonly ws: WebSocket) {
    ws.on('message', (data: WebSocket.RawData, isBinary: boolean) => {
      const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      const raw = isBinary ? buf.toString('base64') : buf.toString('utf8');
      let frame: unknown;
      try {
        frame = JSON.parse(raw);
      } catch {
        frame = undefined;
      }
      const f: ReceivedFrame = { at: nowMs(), payloadBytes: buf.length, wireBytes: buf.length + frameHeaderBytes(buf.length), frame, raw };
      this.frames.push(f);
      for (const w of [...this.waiters]) {
        if (w.match(f)) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          clearTimeout(w.timer);
          w.resolve(f);
        }
      }
    });
    ws.on('close', (code: number) => {
      this.closeCode = code;
      for (const w of this.waiters.splice(0)) {
        clearTimeout(w.timer);
        w.reject(new Error(`socket closed (${code}) while waiting for ${w.what}`));
      }
      for (const l of this.closedListeners.splice(0)) l();
    });
    ws.on('error', () => { /* a close follows; waiters are rejected there */ });
  }

  /** True while the socket is open. */
  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /** Sends a frame object as JSON. */
  send(frame: object): void {
    this.ws.send(JSON.stringify(frame));
  }

  /** Sends a raw text frame (malformed input for fault tests). */
  sendRaw(text: string): void {
    this.ws.send(text);
  }

  /**
   * Resolves with the first frame (already received or future) that matches. `timeoutMs` only
   * guards against a hang; it is not a performance threshold.
   */
  waitFor(match: (frame: any) => boolean, timeoutMs = 60_000, from = 0, what = 'a matching frame'): Promise<ReceivedFrame> {
    const seen = this.frames.slice(from).find((f) => f.frame !== undefined && match(f.frame));
    if (seen) return Promise.resolve(seen);
    if (!this.open) return Promise.reject(new Error(`socket closed (${this.closeCode}) before ${what} came`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.findIndex((w) => w.timer === timer), 1);
        reject(new Error(`no ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.push({ match: (f) => f.frame !== undefined && match(f.frame), resolve, reject, timer, what });
    });
  }

  /** Waits for the `accepted` or `error` answering a messageId. */
  async answerTo(messageId: string, timeoutMs = 60_000): Promise<AcceptedFrame | ErrorFrame> {
    const f = await this.waitFor((x: ServerFrame) => (x.type === 'accepted' || x.type === 'error') && (x as AcceptedFrame).messageId === messageId,
      timeoutMs, 0, `answer to message ${messageId}`);
    return f.frame as AcceptedFrame | ErrorFrame;
  }

  /** Waits for the `done` or `error` that ends a reply. */
  async endOf(replyId: string, timeoutMs = 120_000): Promise<DoneFrame | ErrorFrame> {
    const f = await this.waitFor((x: ServerFrame) => (x.type === 'done' || x.type === 'error') && (x as DoneFrame).replyId === replyId,
      timeoutMs, 0, `end (done/error) of reply ${replyId}`);
    return f.frame as DoneFrame | ErrorFrame;
  }

  /** The deltas of one reply, in arrival order, with receipt metadata. */
  deltasOf(replyId: string): Array<ReceivedFrame & { frame: DeltaFrame }> {
    return this.frames.filter((f) => (f.frame as DeltaFrame | undefined)?.type === 'delta' && (f.frame as DeltaFrame).replyId === replyId) as Array<ReceivedFrame & { frame: DeltaFrame }>;
  }

  /** Error frames received so far. */
  errors(): ErrorFrame[] {
    return this.frames.map((f) => f.frame as ErrorFrame).filter((f) => f?.type === 'error');
  }

  /** Closes politely and waits for the close to complete. */
  close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      this.closedListeners.push(resolve);
      this.ws.close();
    });
  }

  /** Drops the TCP connection without a close frame: a client that vanishes mid-answer. */
  kill(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      this.closedListeners.push(resolve);
      this.ws.terminate();
    });
  }
}

/** Text and seq-contiguity of a reply's deltas as received. */
export function assembled(deltas: ReadonlyArray<{ frame: DeltaFrame }>): { text: string; contiguous: boolean } {
  let contiguous = true;
  deltas.forEach((d, i) => {
    if (d.frame.seq !== i) contiguous = false;
  });
  return { text: deltas.map((d) => d.frame.text).join(''), contiguous };
}
