/**
 * What each simulated user of the load suite does, and what it saw. Users are told apart by their
 * index: most chat normally (Korean or English), the rest each carry one fault. Every message is
 * tagged so the bench brain knows how to answer it (see test/bench/lib/bench-brain.ts).
 */
import type { StoreReader } from './store-read';
import type { AcceptedFrame, DeltaFrame, DoneFrame, ErrorCode, ErrorFrame, MessageItem, Page } from '../../../src/contract/protocol';
import { buildSendFrames } from '../../../src/contract/protocol';
import { LEASE_MS } from '../../../src/core/domain/runtime-limits';
import { subForUsername } from '../../../src/local/local-sign-in';
import { BenchBrain, tag } from '../../bench/lib/bench-brain';
import { newId } from '../../bench/lib/measure';
import { englishText, koreanText, tokenize } from '../../bench/lib/text';
import { assembled, login, mustConnect, WireClient } from '../../bench/lib/wire-client';

/** The fault a message carries. */
export type Fault =
  | 'none'
  | 'model-throttled-retried' // the model refuses once, the handler's retry succeeds
  | 'model-throttled-exhausted' // the model refuses every attempt
  | 'model-error-mid-stream'
  | 'disconnect-and-retry' // the client drops mid-answer, reconnects and resends the same messageId
  | 'stop'
  | 'busy' // a second message to the conversation while the first is generating
  | 'split-message'; // a message whose frame would exceed 32 KiB, sent as parts

/** One message a user sent and everything it got back. */
export interface SentMessage {
  readonly user: number;
  /** The bench brain's tag of the message (its record tells how a held stream ended). */
  readonly key: string;
  readonly messageId: string;
  readonly text: string;
  readonly fault: Fault;
  /** The model's whole script for this message (what a complete reply must equal). */
  readonly tokens: readonly string[];
  /** The model fails after this many tokens (for mid-stream errors). */
  readonly failAfterTokens?: number;
  /**
   * For faults that act mid-answer (stop, drop, busy): the model holds its stream after this
   * many tokens until the fault has been delivered (a stop holds until the generator aborts it).
   */
  readonly holdAfterTokens?: number;
  accepted?: AcceptedFrame;
  /** `done` or `error` that ended the reply (or answered the message). */
  end?: DoneFrame | ErrorFrame;
  /** Deltas as received, when the client stayed connected to the end. */
  received?: { text: string; contiguous: boolean };
  /** A message the server must NOT have stored (refused with BUSY). */
  refused?: ErrorFrame;
  /** The `accepted` answering the resend after a reconnect. */
  reaccepted?: AcceptedFrame;
  /** How many `accepted` frames the message got on the connection that saw it end. */
  acceptedFrames?: number;
  /** Codes of the retryable errors that made the client resend (e.g. INTERNAL when the store failed). */
  retries?: ErrorCode[];
}

/** A bad frame and the code the protocol says answers it. */
export interface FaultAnswer {
  readonly user: number;
  readonly fault: string;
  readonly expected: ErrorCode;
  got?: ErrorCode;
  /** For frames about a message: the frame's messageId and how many errors answered it. */
  readonly messageId?: string;
  answers?: number;
}

/** Knobs of the run. */
export interface ScenarioOptions {
  readonly httpUrl: string;
  readonly wsUrl: string;
  readonly brain: BenchBrain;
  /** Model pace: ms before the first token and between tokens. */
  readonly firstTokenMs: number;
  readonly intervalMs: number;
  /** Tokens per reply. */
  readonly tokensPerReply: number;
  /** Reads dynalite itself, to see when a conversation's lease is free. */
  readonly store: StoreReader;
}

const KOREAN_QUESTIONS = ['서울의 날씨는 어떤가요?', '스트리밍 응답을 설명해 주세요.', '대화 기록은 어디에 저장되나요?'];
const ENGLISH_QUESTIONS = ['What is streaming?', 'Where is the history kept?', 'Explain the reconnect logic.'];

/** Which fault user `u` puts on its `m`-th message (0-based). Ten user kinds, in turn. */
export function faultOf(u: number, m: number): Fault {
  if (u % 10 === 9 && m === 0) return 'split-message';
  if (m !== 1) return 'none';
  switch (u % 10) {
    case 2: return 'model-throttled-retried';
    case 3: return 'model-throttled-exhausted';
    case 4: return 'model-error-mid-stream';
    case 5: return 'disconnect-and-retry';
    case 7: return 'stop';
    case 8: return 'busy';
    default: return 'none';
  }
}

/** Tokens a mid-answer fault's reply streams before the model holds it. */
const HOLD_AFTER_TOKENS = 4;

/** Users of kind 6 open with a burst of bad frames. */
function sendsBadFrames(u: number): boolean {
  return u % 10 === 6;
}

function korean(u: number): boolean {
  return u % 2 === 0;
}

async function historyPage(httpUrl: string, token: string, conversationId: string): Promise<Page<MessageItem>> {
  const res = await fetch(`${httpUrl}/api/conversations/${conversationId}/messages?limit=100`, { headers: { authorization: `Bearer ${token}` } });
  if (res.status !== 200) throw new Error(`history read answered ${res.status}`);
  return await res.json() as Page<MessageItem>;
}

/**
 * How long any single wait of a user may take before the run calls it a hang. Not a performance
 * threshold: on a 2-core machine shared with other work the suite has taken six times its idle
 * time, and a bound the machine's speed can reach would make the checks depend on timing.
 */
export const HANG_GUARD_MS = 10 * 60_000;
const POLL_MS = 200;
const POLLS = HANG_GUARD_MS / POLL_MS;

/**
 * Waits, reading over HTTP as the web client does after a reconnect, until the reply has left
 * `streaming`; then (reading the store) until the generator has given the conversation's lease
 * back, which it does right after storing the reply. Without the second wait, the user's next
 * message would race the generator's last write and could be refused BUSY on a slow machine.
 */
async function waitFinished(o: ScenarioOptions, token: string, user: string, conversationId: string, replyId: string): Promise<void> {
  let stored = false;
  for (let i = 0; i < POLLS; i++) {
    if (!stored) {
      // 503 is API Gateway's integration timeout (the history read took over 30 s): read again.
      const page = await historyPage(o.httpUrl, token, conversationId).catch((err: Error) => {
        if (err.message.endsWith(' 503')) return undefined;
        throw err;
      });
      stored = page?.items.some((x) => x.messageId === replyId && x.status !== 'streaming') ?? false;
    }
    if (stored && await o.store.leaseHolder(user, conversationId) !== replyId) return;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  throw new Error(`reply ${replyId} still ${stored ? 'holding its conversation' : 'streaming'} after ${POLLS * POLL_MS / 1000} s`);
}

/**
 * Waits until the store shows the reply holding its conversation's lease with at least half of
 * LEASE_MS left. The lease is wall-clock time: it is taken when the message arrives and renewed
 * by the generator every CHECKPOINT_MS, so on a machine slow enough the lease of a reply the
 * model is still streaming can have lapsed (then a second message is rightly not BUSY). The
 * handlers run in this process, so Date.now() is their clock.
 */
async function leaseFresh(o: ScenarioOptions, user: string, conversationId: string, replyId: string): Promise<void> {
  for (let i = 0; i < POLLS; i++) {
    const lease = await o.store.lease(user, conversationId);
    if (lease.holder === replyId && (lease.until ?? 0) - Date.now() >= LEASE_MS / 2) return;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  throw new Error(`reply ${replyId} never held a fresh lease on its conversation`);
}

/** Resolves once the client has received exactly `text` of the reply so far, in deltas. */
async function received(client: WireClient, replyId: string, text: string): Promise<void> {
  await client.waitFor((x: DeltaFrame) => x.type === 'delta' && x.replyId === replyId && assembled(client.deltasOf(replyId)).text.length >= text.length,
    HANG_GUARD_MS, 0, `the first ${text.length} characters of reply ${replyId}`);
  const got = assembled(client.deltasOf(replyId)).text;
  if (got !== text) throw new Error(`reply ${replyId} began ${JSON.stringify(got.slice(0, 40))}, not the model's ${JSON.stringify(text.slice(0, 40))}`);
}

/** Runs one user: sign in, connect, three messages in one conversation (then bad frames, for some). */
export async function runUser(u: number, o: ScenarioOptions, sent: SentMessage[], faults: FaultAnswer[],
  victimConversation: () => string | undefined): Promise<{ conversationId?: string }> {
  const username = `load-user-${u}`;
  const token = await login(o.httpUrl, username);
  let client: WireClient = await mustConnect(o.wsUrl, token);
  let conversationId: string | undefined;
  try {
    for (let m = 0; m < 3; m++) {
      const fault = faultOf(u, m);
      const key = `u${u}m${m}`;
      const text = korean(u) ? koreanText(60 + ((97 * u) % 23)) : englishText(8 * (17 + u % 7));
      const tokens = korean(u) ? tokenize(text, 2) : tokenize(text, 4);
      const script = tokens.slice(0, o.tokensPerReply);
      const failAfterTokens = fault === 'model-error-mid-stream' ? Math.floor(script.length / 2) : undefined;
      // Faults that act mid-answer do not race the model: it holds its stream open after a few
      // tokens until the fault has been delivered (see oneMessage).
      const midAnswer = fault === 'stop' || fault === 'disconnect-and-retry' || fault === 'busy';
      const holdAfterTokens = midAnswer ? HOLD_AFTER_TOKENS : undefined;
      o.brain.define(key, {
        tokens: script,
        firstTokenMs: o.firstTokenMs,
        intervalMs: o.intervalMs,
        throttleCalls: fault === 'model-throttled-retried' ? 1 : fault === 'model-throttled-exhausted' ? 1000 : 0,
        failAfterTokens,
        holdAfterTokens,
      });
      const question = (korean(u) ? KOREAN_QUESTIONS : ENGLISH_QUESTIONS)[m];
      // 11,000 Hangul syllables: 33,000 bytes, so the client must split it (and it is within 16,000 characters).
      const long = fault === 'split-message' ? `${koreanText(11_000)}\n` : '';
      const msg: SentMessage = {
        user: u, key, messageId: newId(`u${u}`), text: `${long}${question} ${tag(key)}`, fault, tokens: script, failAfterTokens, holdAfterTokens,
      };
      sent.push(msg);
      client = await oneMessage(msg, client, conversationId, o, token, subForUsername(username));
      conversationId ??= msg.accepted?.conversationId;
    }
    // After its own chat, so other users' conversations exist to be probed.
    if (sendsBadFrames(u)) await badFrameBurst(u, client, faults, victimConversation());
  } finally {
    await client.close();
  }
  return { conversationId };
}

async function oneMessage(msg: SentMessage, client: WireClient, conversationId: string | undefined, o: ScenarioOptions,
  token: string, user: string): Promise<WireClient> {
  const frames = buildSendFrames({ messageId: msg.messageId, text: msg.text, conversationId });
  let answer: AcceptedFrame | ErrorFrame | undefined;
  // A retryable refusal is retried with the same messageId, as the web client does.
  for (let attempt = 0; attempt < 4; attempt++) {
    if (attempt > 0) await new Promise((r) => setTimeout(r, 300 * attempt));
    const from = client.frames.length;
    for (const f of frames) client.send(f);
    answer = (await client.waitFor((x: AcceptedFrame | ErrorFrame) => (x.type === 'accepted' || x.type === 'error') && x.messageId === msg.messageId, HANG_GUARD_MS, from)).frame as AcceptedFrame | ErrorFrame;
    if (answer.type === 'accepted' || !answer.retryable) break;
    msg.retries = [...(msg.retries ?? []), answer.code];
  }
  if (answer!.type === 'error') {
    msg.end = answer as ErrorFrame;
    return client;
  }
  const accepted = answer as AcceptedFrame;
  msg.accepted = accepted;
  const replyId = accepted.replyId;
  // Mid-answer faults: the model is holding after `holdAfterTokens` tokens, and the client has
  // them all, so the reply is provably being generated (and its lease held) while the fault acts.
  const midAnswer = async () => {
    await o.brain.held(msg.key);
    await received(client, replyId, msg.tokens.slice(0, msg.holdAfterTokens).join(''));
  };

  switch (msg.fault) {
    case 'busy': {
      await midAnswer();
      await leaseFresh(o, user, accepted.conversationId, replyId);
      const second = newId('busy');
      client.send({ action: 'sendMessage', messageId: second, text: 'one more while you are busy', conversationId: accepted.conversationId });
      const refused = await client.answerTo(second, HANG_GUARD_MS);
      msg.refused = refused as ErrorFrame;
      o.brain.release(msg.key);
      break;
    }
    case 'stop':
      // Never released: only the generator reading the stored stop flag ends this stream.
      await midAnswer();
      client.send({ action: 'stop', replyId });
      break;
    case 'disconnect-and-retry': {
      await midAnswer();
      await client.kill();
      const fresh = await mustConnect(o.wsUrl, token);
      // The client does not know whether the message got through: it resends it as it was.
      for (const f of buildSendFrames({ messageId: msg.messageId, text: msg.text, conversationId })) fresh.send(f);
      const again = await fresh.answerTo(msg.messageId, HANG_GUARD_MS);
      if (again.type === 'accepted') msg.reaccepted = again as AcceptedFrame;
      else msg.end = again as ErrorFrame;
      // The old socket is gone and the resend answered: now the generator may finish, for nobody.
      o.brain.release(msg.key);
      await waitFinished(o, token, user, accepted.conversationId, replyId);
      msg.acceptedFrames = countAccepted(fresh, msg.messageId);
      return fresh;
    }
    default:
      break;
  }
  msg.end = await client.endOf(replyId, HANG_GUARD_MS);
  msg.received = assembled(client.deltasOf(replyId));
  msg.acceptedFrames = countAccepted(client, msg.messageId);
  return client;
}

function countAccepted(client: WireClient, messageId: string): number {
  return client.frames.filter((f) => (f.frame as AcceptedFrame | undefined)?.type === 'accepted' && (f.frame as AcceptedFrame).messageId === messageId).length;
}

/**
 * Bad frames, one at a time (each waits for its answer so answers pair with frames). A ping at
 * the end proves the connection survived them.
 */
async function badFrameBurst(u: number, client: WireClient, faults: FaultAnswer[], someoneElsesConversation: string | undefined): Promise<void> {
  const id = (p: string) => newId(p);
  const ids = { empty: id('bad'), big: id('big'), bigko: id('bigko'), nf: id('nf'), foreign: id('nf') };
  const bad: Array<{ fault: string; expected: ErrorCode; frames: string[]; messageId?: string }> = [
    { fault: 'not JSON', expected: 'BAD_REQUEST', frames: ['{"action": "sendMessage", '] },
    { fault: 'JSON array', expected: 'BAD_REQUEST', frames: ['[1,2,3]'] },
    { fault: 'unknown action', expected: 'BAD_REQUEST', frames: [JSON.stringify({ action: 'dance' })] },
    { fault: 'sendMessage without messageId', expected: 'BAD_REQUEST', frames: [JSON.stringify({ action: 'sendMessage', text: 'hi' })] },
    { fault: 'empty text', expected: 'BAD_REQUEST', messageId: ids.empty, frames: [JSON.stringify({ action: 'sendMessage', messageId: ids.empty, text: '   ' })] },
    { fault: 'stop with a malformed replyId', expected: 'BAD_REQUEST', frames: [JSON.stringify({ action: 'stop', replyId: 'x' })] },
    { fault: 'text one character over the limit (English, one frame)', expected: 'TOO_LARGE', messageId: ids.big, frames: [JSON.stringify({ action: 'sendMessage', messageId: ids.big, text: 'a'.repeat(16_001) })] },
    {
      fault: 'text one character over the limit (Korean, split into parts)',
      expected: 'TOO_LARGE',
      messageId: ids.bigko,
      frames: buildSendFrames({ messageId: ids.bigko, text: '가'.repeat(16_001) }).map((f) => JSON.stringify(f)),
    },
    { fault: 'unknown conversation', expected: 'NOT_FOUND', messageId: ids.nf, frames: [JSON.stringify({ action: 'sendMessage', messageId: ids.nf, text: 'hi', conversationId: 'no-such-conversation-0001' })] },
  ];
  if (someoneElsesConversation) {
    bad.push({ fault: 'another user\'s conversation', expected: 'NOT_FOUND', messageId: ids.foreign, frames: [JSON.stringify({ action: 'sendMessage', messageId: ids.foreign, text: 'hi', conversationId: someoneElsesConversation })] });
  }
  const answers: FaultAnswer[] = [];
  for (const b of bad) {
    const from = client.frames.length;
    for (const f of b.frames) client.sendRaw(f);
    // Errors about a message carry its id; the others carry none and are paired in turn.
    const answer = await client.waitFor((x: ErrorFrame) => x.type === 'error' && x.messageId === b.messageId, HANG_GUARD_MS, from);
    answers.push({ user: u, fault: b.fault, expected: b.expected, got: (answer.frame as ErrorFrame).code, messageId: b.messageId });
  }
  const from = client.frames.length;
  client.send({ action: 'ping' });
  await client.waitFor((x: { type: string }) => x.type === 'pong', HANG_GUARD_MS, from);
  // By the pong every answer has come: count how many each message got.
  for (const a of answers) {
    if (a.messageId) a.answers = client.errors().filter((e) => e.messageId === a.messageId).length;
    faults.push(a);
  }
}
