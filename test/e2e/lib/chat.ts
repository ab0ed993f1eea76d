/**
 * What a client does against a running local stack: sign in, open the socket, send a message and
 * collect its reply frames, read the HTTP API.
 */
import { connect, TestSocket } from '../../local/lib/ws-client';

/** `POST /local/login` → the ID token. */
export async function login(baseUrl: string, username: string): Promise<string> {
  const res = await fetch(`${baseUrl}/local/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username }) });
  if (res.status !== 200) throw new Error(`login answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { idToken: string }).idToken;
}

/** Opens the WebSocket with the token, as the client does. */
export function openSocket(wsUrl: string, token: string): Promise<TestSocket> {
  return connect(`${wsUrl}?token=${encodeURIComponent(token)}`);
}

/** The frames of one reply, in arrival order. */
export interface Reply {
  accepted: any;
  deltas: any[];
  done: any;
  text: string;
}

let counter = 0;
/** A fresh protocol-valid message id. */
export function newMessageId(): string {
  counter++;
  return `msg_${Date.now().toString(36)}_${counter.toString(36).padStart(4, '0')}`;
}

/** Sends one message and waits for `accepted`, its deltas and `done`. */
export async function chat(socket: TestSocket, text: string, conversationId?: string): Promise<Reply> {
  const messageId = newMessageId();
  socket.send({ action: 'sendMessage', messageId, text, ...(conversationId ? { conversationId } : {}) });
  const accepted = await socket.next((f) => f.type === 'accepted' && f.messageId === messageId || f.type === 'error' && f.messageId === messageId);
  if (accepted.type === 'error') throw new Error(`sendMessage refused: ${JSON.stringify(accepted)}`);
  const done = await socket.next((f) => (f.type === 'done' || f.type === 'error') && f.replyId === accepted.replyId);
  if (done.type === 'error') throw new Error(`reply failed: ${JSON.stringify(done)}`);
  const deltas = socket.frames.filter((f) => f.type === 'delta' && f.replyId === accepted.replyId);
  return { accepted, deltas, done, text: deltas.map((d) => d.text).join('') };
}

/** GET on the HTTP API with a bearer token; answers status and parsed body. */
export async function api(baseUrl: string, token: string, path: string, init: RequestInit = {}): Promise<{ status: number; body: any }> {
  const res = await fetch(`${baseUrl}/api${path}`, { ...init, headers: { ...(init.headers ?? {}), authorization: `Bearer ${token}` } });
  const text = await res.text();
  let body: any = text;
  try { body = text ? JSON.parse(text) : undefined; } catch { /* not JSON */ }
  return { status: res.status, body };
}
