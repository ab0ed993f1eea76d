/**
 * One answer streamed to one client, measured from the client's side: every frame that belongs to
 * it, their bytes on the wire, receipt times and the gaps a reader sees. Works for our protocol and
 * for the seed's, so the two are counted by the same code.
 */
import { tag } from './bench-brain';
import type { SeedRequestFrame } from './seed-route';
import { frameHeaderBytes, ReceivedFrame, WireClient } from './wire-client';
import { utf8Bytes } from '../../../src/contract/protocol';
import type { AcceptedFrame, DeltaFrame, DoneFrame, ErrorFrame } from '../../../src/contract/protocol';

/** What one streamed answer cost and how it arrived. */
export interface AnswerMeasure {
  /** The answer as the client assembled it. */
  readonly text: string;
  /** UTF-8 bytes of the answer text. */
  readonly answerBytes: number;
  /** Bytes on the wire of every frame of this answer (headers included). */
  readonly wireBytes: number;
  /** Frames (posts to `@connections`) this answer took. */
  readonly posts: number;
  /** Receipt of the first text to receipt of the last frame, seconds. */
  readonly answerSeconds: number;
  /** `performance.now()` at which the first text arrived. */
  readonly firstTextAt: number;
  /** Gaps between consecutive text-bearing frames, ms. */
  readonly gapsMs: number[];
  /** How it ended (`done`'s stopReason, `completed` for the seed, or an error code). */
  readonly ending: string;
}

let counter = 0;
/** A fresh id of the protocol's shape. */
export function newId(prefix: string): string {
  counter++;
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter}`.slice(0, 64);
}

function summarize(frames: ReceivedFrame[], textFrames: ReceivedFrame[], text: string, ending: string): AnswerMeasure {
  const gapsMs: number[] = [];
  for (let i = 1; i < textFrames.length; i++) gapsMs.push(textFrames[i].at - textFrames[i - 1].at);
  const first = textFrames[0]?.at ?? NaN;
  const last = frames[frames.length - 1]?.at ?? NaN;
  return {
    text,
    answerBytes: utf8Bytes(text),
    wireBytes: frames.reduce((s, f) => s + f.wireBytes, 0),
    posts: frames.length,
    answerSeconds: (last - first) / 1000,
    firstTextAt: first,
    gapsMs,
    ending,
  };
}

/**
 * Sends one message with our protocol and measures its answer: the `accepted`, every `delta` and
 * the `done` (titles belong to the conversation, not to the answer, and are not counted).
 */
export async function measureOurs(client: WireClient, behaviourKey: string, question: string, conversationId?: string):
Promise<AnswerMeasure & { replyId: string; conversationId: string; messageId: string; acceptedAt: number }> {
  const messageId = newId('m');
  const from = client.frames.length;
  client.send({ action: 'sendMessage', messageId, text: `${question} ${tag(behaviourKey)}`, ...(conversationId ? { conversationId } : {}) });
  const answer = await client.answerTo(messageId);
  const acceptedAt = performance.now();
  if (answer.type === 'error') throw new Error(`sendMessage refused: ${answer.code} ${answer.message}`);
  const accepted = answer as AcceptedFrame;
  const end = await client.endOf(accepted.replyId);
  const mine = client.frames.slice(from).filter((f) => {
    const x = f.frame as AcceptedFrame | DeltaFrame | DoneFrame | ErrorFrame | undefined;
    return (x?.type === 'accepted' && x.messageId === messageId)
      || ((x?.type === 'delta' || x?.type === 'done' || x?.type === 'error') && x.replyId === accepted.replyId);
  });
  const deltas = mine.filter((f) => (f.frame as DeltaFrame).type === 'delta');
  const text = deltas.map((f) => (f.frame as DeltaFrame).text).join('');
  const ending = end.type === 'done' ? (end as DoneFrame).stopReason : (end as ErrorFrame).code;
  return { ...summarize(mine, deltas, text, ending), replyId: accepted.replyId, conversationId: accepted.conversationId, messageId, acceptedAt };
}

/**
 * Sends one message with the seed's protocol and measures its answer (every post, `completed`
 * included). `compactWireBytes` is what the same posts would weigh as compact UTF-8 JSON, had the
 * seed not used Python's ASCII-escaping default: the baseline at its most charitable.
 */
export async function measureSeed(client: WireClient, behaviourKey: string, question: string): Promise<AnswerMeasure & { compactWireBytes: number }> {
  const requestId = newId('seed');
  const from = client.frames.length;
  const frame: SeedRequestFrame = { action: 'seed', request_id: requestId, text: `${question} ${tag(behaviourKey)}` };
  client.send(frame);
  await client.waitFor((x: any) => x.request_id === requestId && x.status === 'completed', 300_000, from);
  const mine = client.frames.slice(from).filter((f) => (f.frame as any)?.request_id === requestId);
  const last = mine[mine.length - 1].frame as { msg: string };
  const compactWireBytes = mine.reduce((sum, f) => {
    const n = utf8Bytes(JSON.stringify(f.frame));
    return sum + n + frameHeaderBytes(n);
  }, 0);
  // Every post but the closing one carried a new token.
  return { ...summarize(mine, mine.slice(0, -1), last.msg, 'completed'), compactWireBytes };
}
