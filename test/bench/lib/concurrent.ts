/**
 * The bench's load step: many users streaming at once with no faults injected, judged from the
 * store. (The fault-injecting suite is test/load; this step gives the figures under load.)
 */
import { BenchBrain } from './bench-brain';
import type { Harness } from './harness';
import { measureOurs } from './measure';
import type { ProfileResult } from './profile';
import { percentile } from './stats';
import { snapshotStore } from './store-check';
import { koreanText, englishText, tokenize } from './text';
import { login, mustConnect } from './wire-client';
import type { DoneFrame } from '../../../src/contract/protocol';

/** Knobs of the step. */
export interface ConcurrentOptions {
  readonly streams: number;
  readonly firstTokenMs: number;
  readonly intervalMs: number;
  /** Tokens per answer. */
  readonly tokens: number;
  readonly charsPerToken: number;
}

/** The figures of the step. */
export interface ConcurrentResult {
  concurrentStreams: number;
  /** Replies that ended `end_turn`, arrived whole and in order, and are stored complete and equal. */
  streamsCompleted: number;
  /** Accepted messages whose user message or reply is missing from the store, or stored differently. */
  messagesLost: number;
  /** Messages or replies stored more than once, plus deltas received twice. */
  messagesDuplicated: number;
  /** p99 of sendMessage → first delta received, ms (the model's own 300 ms included). */
  p99FirstTokenMs: number;
  p50FirstTokenMs: number;
  /** p99 of model's first token → client's receipt, ms. */
  p99AddedFirstTokenMs: number;
  p50AddedFirstTokenMs: number;
  /** sendMessage sent → the model server receiving the request (the accept path), ms. */
  sendToModelMs: { p50: number; p99: number };
  /** sendMessage sent → `accepted` received, ms. */
  sendToAcceptedMs: { p50: number; p99: number };
  /** What the stack did for the step, connects included. */
  profile: ProfileResult;
  failures: string[];
}

/** Runs `streams` users at once, one answer each, then checks the store. */
export async function runConcurrentStreams(harness: Harness, brain: BenchBrain, o: ConcurrentOptions): Promise<ConcurrentResult> {
  const failures: string[] = [];
  // Counted from the first connect to the last $disconnect: one connection, one turn each, so
  // "per turn" includes the connection's authorizer and $connect (in the web client they are per
  // connection: a user's later turns on the same socket do not repeat them).
  harness.profile.start();
  const clients = await Promise.all(Array.from({ length: o.streams }, async (_, i) => mustConnect(harness.wsUrl, await login(harness.url, `bench-load-${i}`))));
  const expected: string[] = [];
  const results = await Promise.all(clients.map(async (client, i) => {
    const text = i % 2 === 0 ? koreanText(o.tokens * o.charsPerToken) : englishText(o.tokens * o.charsPerToken * 2);
    const tokens = tokenize(text, i % 2 === 0 ? o.charsPerToken : o.charsPerToken * 2);
    expected[i] = tokens.join('');
    const key = `load-${i}`;
    brain.define(key, { tokens, firstTokenMs: o.firstTokenMs, intervalMs: o.intervalMs });
    const sentAt = performance.now();
    try {
      const m = await measureOurs(client, key, i % 2 === 0 ? '동시에 답해 주세요.' : 'Answer at the same time, please.');
      const deltas = client.deltasOf(m.replyId);
      const seqs = deltas.map((d) => d.frame.seq);
      const dupDeltas = seqs.length - new Set(seqs).size;
      const inOrder = seqs.every((s, k) => s === k);
      return { i, m, sentAt, dupDeltas, inOrder };
    } catch (err) {
      failures.push(`stream ${i}: ${(err as Error).message}`);
      return undefined;
    } finally {
      await client.close();
    }
  }));
  // Closing the sockets ran $disconnect; wait for those invocations before the counts are read.
  for (let i = 0; i < 100 && harness.gateway.inFlight > 0; i++) await new Promise((r) => setTimeout(r, 50));
  const profile = harness.profile.stop(o.streams);
  const store = await snapshotStore(harness.dynamoEndpoint, harness.tableName);
  let completed = 0;
  let lost = 0;
  let duplicated = 0;
  const firstToken: number[] = [];
  const added: number[] = [];
  const toModel: number[] = [];
  const toAccepted: number[] = [];
  for (const r of results) {
    if (!r) continue;
    const { i, m, sentAt, dupDeltas, inOrder } = r;
    const userItems = store.byId.get(m.messageId) ?? [];
    const replyItems = store.byId.get(m.replyId) ?? [];
    duplicated += Math.max(0, userItems.length - 1) + Math.max(0, replyItems.length - 1) + dupDeltas;
    const stored = replyItems[0];
    if (userItems.length === 0 || !stored || stored.text !== m.text) lost++;
    const ok = m.ending === ('end_turn' satisfies DoneFrame['stopReason']) && inOrder && m.text === expected[i]
      && stored?.status === 'complete' && stored.text === m.text && userItems.length === 1 && replyItems.length === 1;
    if (ok) completed++;
    else failures.push(`stream ${i}: ending ${m.ending}, inOrder ${inOrder}, intact ${m.text === expected[i]}, stored ${stored?.status}`);
    firstToken.push(m.firstTextAt - sentAt);
    added.push(m.firstTextAt - brain.record(`load-${i}`).firstTokenAt[0]);
    toModel.push(brain.record(`load-${i}`).requestAt[0] - sentAt);
    toAccepted.push(m.acceptedAt - sentAt);
  }
  // A stream that never got its answer is lost too.
  lost += results.filter((r) => !r).length;
  return {
    concurrentStreams: o.streams,
    streamsCompleted: completed,
    messagesLost: lost,
    messagesDuplicated: duplicated,
    p99FirstTokenMs: percentile(firstToken, 99),
    p50FirstTokenMs: percentile(firstToken, 50),
    p99AddedFirstTokenMs: percentile(added, 99),
    p50AddedFirstTokenMs: percentile(added, 50),
    sendToModelMs: { p50: percentile(toModel, 50), p99: percentile(toModel, 99) },
    sendToAcceptedMs: { p50: percentile(toAccepted, 50), p99: percentile(toAccepted, 99) },
    profile,
    failures,
  };
}
