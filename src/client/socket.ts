/**
 * The chat WebSocket: connects with `?token=`, reconnects with jittered exponential backoff and a
 * fresh token, keeps the connection alive with `ping`, and reports its state.
 */
import type { ClientFrame, ServerFrame } from '../contract/protocol';

/** What the connection indicator shows. */
export type ConnectionState = 'connecting' | 'online' | 'offline';

/** Callbacks of a {@link ChatSocket}. */
export interface ChatSocketEvents {
  frame(frame: ServerFrame): void;
  /** `reconnected` is true when an earlier connection had been open. */
  state(state: ConnectionState, reconnected: boolean): void;
  /** The token could not be had (session over): the socket stops trying. */
  fatal(error: unknown): void;
}

/** First retry delay; doubles per failed attempt up to {@link MAX_BACKOFF_MS}. */
export const BASE_BACKOFF_MS = 500;
/** Longest wait between reconnect attempts. */
export const MAX_BACKOFF_MS = 15_000;
/** API Gateway closes idle connections after 10 minutes; ping well inside that. */
export const PING_INTERVAL_MS = 4 * 60_000;

/** The wait before reconnect attempt `attempt` (0-based): exponential, with jitter in [50 %, 100 %]. */
export function backoffDelay(attempt: number, random: number = Math.random()): number {
  const cap = Math.min(MAX_BACKOFF_MS, BASE_BACKOFF_MS * 2 ** Math.min(attempt, 10));
  return Math.round(cap * (0.5 + random / 2));
}

/** A self-healing WebSocket to the chat API. */
export class ChatSocket {
  private ws?: WebSocket;
  private opened = 0;
  private attempt = 0;
  private everOpen = false;
  private stopped = false;
  private retryTimer?: ReturnType<typeof setTimeout>;
  private pingTimer?: ReturnType<typeof setInterval>;

  constructor(
    private readonly url: string,
    private readonly token: () => Promise<string>,
    private readonly events: ChatSocketEvents,
  ) {
    // Coming back online or to the tab is a good moment to retry at once instead of waiting.
    window.addEventListener('online', () => this.retryNow());
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible') this.retryNow();
    });
  }

  /** True while frames can be sent. */
  get open(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  /** Counts the connections opened so far: tells whether a frame went out on the current one. */
  get connection(): number {
    return this.opened;
  }

  /** Starts connecting. */
  start(): void {
    this.stopped = false;
    void this.connect();
  }

  /** Sends one frame; false when the socket is not open (the caller keeps it for later). */
  send(frame: ClientFrame): boolean {
    if (!this.open) return false;
    this.ws!.send(JSON.stringify(frame));
    return true;
  }

  /** Closes for good (sign-out). */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.pingTimer);
    this.ws?.close(1000);
  }

  private retryNow(): void {
    if (this.stopped || this.ws) return;
    clearTimeout(this.retryTimer);
    void this.connect();
  }

  private async connect(): Promise<void> {
    this.retryTimer = undefined;
    this.events.state(this.everOpen ? 'offline' : 'connecting', false);
    let token: string;
    try {
      token = await this.token();
    } catch (e) {
      this.stopped = true;
      this.events.fatal(e);
      return;
    }
    if (this.stopped) return;
    const sep = this.url.includes('?') ? '&' : '?';
    const ws = new WebSocket(`${this.url}${sep}token=${encodeURIComponent(token)}`);
    this.ws = ws;
    ws.addEventListener('open', () => {
      const reconnected = this.everOpen;
      this.opened++;
      this.attempt = 0;
      this.everOpen = true;
      clearInterval(this.pingTimer);
      this.pingTimer = setInterval(() => this.send({ action: 'ping' }), PING_INTERVAL_MS);
      this.events.state('online', reconnected);
    });
    ws.addEventListener('message', (ev) => {
      let frame: ServerFrame;
      try {
        frame = JSON.parse(String(ev.data)) as ServerFrame;
      } catch {
        return; // not ours to show; the protocol only sends JSON
      }
      this.events.frame(frame);
    });
    ws.addEventListener('close', () => {
      if (this.ws !== ws) return;
      this.ws = undefined;
      clearInterval(this.pingTimer);
      if (this.stopped) return;
      this.events.state(this.everOpen ? 'offline' : 'connecting', false);
      this.retryTimer = setTimeout(() => void this.connect(), backoffDelay(this.attempt++));
    });
  }
}
