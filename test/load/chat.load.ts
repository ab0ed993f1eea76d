/**
 * The load-and-fault suite (`npm run test:load`): 200 users chat at once, three messages each in
 * Korean or English, while the model throttles and fails, clients drop and come back, bad frames
 * and forged tokens arrive, and DynamoDB throttles a share of writes. Then the store itself (read
 * straight from dynalite) is checked: nothing accepted is lost, nothing is stored twice, and every
 * fault got the protocol's answer. No timing is asserted anywhere.
 */
import { forgedTokens } from './lib/forged-tokens';
import { FaultAnswer, HANG_GUARD_MS, runUser, SentMessage } from './lib/scenario';
import { StoreReader } from './lib/store-read';
import type { ErrorCode } from '../../src/contract/protocol';
import { subForUsername } from '../../src/local/local-sign-in';
import { BenchBrain } from '../bench/lib/bench-brain';
import { Harness, startHarness } from '../bench/lib/harness';
import { snapshotStore, StoreSnapshot } from '../bench/lib/store-check';
import { koreanText, tokenize } from '../bench/lib/text';
import { connect, login, mustConnect } from '../bench/lib/wire-client';

// Above the users' own hang guard, so a hang is reported by the user that saw it.
jest.setTimeout(4 * HANG_GUARD_MS);

const USERS = 200;
/**
 * Every 10th distinct write is refused once with ProvisionedThroughputExceededException (the SDK
 * retries it to success); of those, the first few batch writes that put items (the message turn,
 * never the cleanup of a split message's parts) are refused on every attempt, so the SDK gives
 * up and the handler has to cope.
 */
const THROTTLE_EVERY_NTH_WRITE = 10;
const EXHAUSTED_BATCH_WRITES = 3;

const brain = new BenchBrain({ tokens: tokenize(koreanText(40), 2), firstTokenMs: 20, intervalMs: 5 });
let harness: Harness;
let reader: StoreReader;
let store: StoreSnapshot;
const sent: SentMessage[] = [];
const faults: FaultAnswer[] = [];
const handshakes: Array<{ name: string; status: number | 'opened' }> = [];
const oversized: Array<{ closeCode: number | undefined }> = [];
const userFailures: string[] = [];
const conversations: Array<string | undefined> = [];

/** Fails loudly with the first few offenders rather than a bare count. */
function expectNone(what: string, offenders: unknown[]): void {
  if (offenders.length > 0) throw new Error(`${offenders.length} ${what}, e.g.:\n${offenders.slice(0, 5).map((o) => JSON.stringify(o)).join('\n')}`);
}

beforeAll(async () => {
  harness = await startHarness({
    brain,
    throttleWrites: {
      everyNthWrite: THROTTLE_EVERY_NTH_WRITE,
      exhaust: EXHAUSTED_BATCH_WRITES,
      exhaustOperations: ['BatchWriteItem'],
      exhaustIf: (body) => body.includes('"PutRequest"'),
    },
  });
  reader = new StoreReader(harness.dynamoEndpoint, harness.tableName);
  const valid = await login(harness.url, 'load-forger');
  const sub = subForUsername('load-forger');
  const now = Math.floor(Date.now() / 1000);
  const forged = [
    ...forgedTokens(valid),
    // Signed with the stack's own key, so only the claim under test is wrong.
    { name: 'expired', token: harness.auth.sign(sub, 'load-forger', { exp: now - 60, iat: now - 3600 }) },
    { name: 'wrong audience', token: harness.auth.sign(sub, 'load-forger', { aud: 'someone-elses-app' }) },
    { name: 'access token instead of ID token', token: harness.auth.sign(sub, 'load-forger', { token_use: 'access' }) },
  ];

  const started = Date.now();
  await Promise.all([
    ...Array.from({ length: USERS }, (_, u) => runUser(u, {
      httpUrl: harness.url, wsUrl: harness.wsUrl, brain, firstTokenMs: 20, intervalMs: 5, tokensPerReply: 40, store: reader,
    }, sent, faults, () => conversations.find((c, i) => c !== undefined && i % 10 !== 6)).then(
      (r) => { conversations[u] = r.conversationId; },
      (err) => { userFailures.push(`user ${u}: ${(err as Error).message}`); },
    )),
    // Forged tokens, spread over the run.
    ...forged.map(async (f, i) => {
      await new Promise((r) => setTimeout(r, 50 * i));
      const r = await connect(harness.wsUrl, f.token);
      if (r.ok) await r.client.close();
      handshakes.push({ name: f.name, status: r.ok ? 'opened' : r.status });
    }),
    // A frame over 32 KiB: the gateway closes the connection with 1009, as API Gateway does.
    ...[0, 1].map(async (i) => {
      const c = await mustConnect(harness.wsUrl, await login(harness.url, `load-oversized-${i}`));
      c.sendRaw(JSON.stringify({ action: 'sendMessage', messageId: `oversized-${i}-0000`, text: '가'.repeat(11_000 + i) }));
      await c.waitFor(() => false, HANG_GUARD_MS).catch(() => undefined);
      oversized.push({ closeCode: c.closeCode });
    }),
  ]);
  // Let generators that outlived their client (dropped sockets) finish, then read the store
  // without the throttling proxy in the way.
  await harness.drain(HANG_GUARD_MS);
  harness.proxy?.pause();
  store = await snapshotStore(harness.dynamoEndpoint, harness.tableName);

  const accepted = sent.filter((m) => m.accepted);
  const summary = {
    users: USERS,
    seconds: Math.round((Date.now() - started) / 100) / 10,
    messagesSent: sent.length,
    accepted: accepted.length,
    repliesByEnd: countBy(accepted.map((m) => (m.end?.type === 'done' ? `done:${m.end.stopReason}` : m.end?.type === 'error' ? `error:${m.end.code}` : 'left'))),
    lost: accepted.filter((m) => (store.byId.get(m.messageId) ?? []).length === 0 || (store.byId.get(m.accepted!.replyId) ?? []).length === 0).length,
    duplicated: [...store.byId.values()].filter((items) => items.length > 1).length,
    storedUserMessages: store.messages.filter((m) => m.role === 'user').length,
    storedReplies: store.messages.filter((m) => m.role === 'assistant').length,
    storedReplyStatus: countBy(store.messages.filter((m) => m.role === 'assistant').map((m) => m.status)),
    faultAnswers: faults.length,
    faultAnswersByCode: countBy(faults.map((f) => `${f.expected}${f.got === f.expected ? '' : `→${f.got}`}`)),
    badMessagesAnsweredTwice: faults.filter((f) => (f.answers ?? 1) > 1).length,
    forgedTokensRefused: handshakes.filter((h) => h.status === 401).length,
    forgedTokensNotRefused: handshakes.filter((h) => h.status !== 401).map((h) => `${h.name}: ${h.status}`),
    forgedTokens: handshakes.length,
    oversizedFramesClosed1009: oversized.filter((o) => o.closeCode === 1009).length,
    dynamoWriteAttempts: harness.proxy?.stats.writes,
    dynamoWritesThrottled: harness.proxy?.stats.throttled,
    dynamoWritesExhausted: harness.proxy?.stats.exhaustedWrites,
    resendsAfterRetryableErrors: countBy(sent.flatMap((m) => m.retries ?? [])),
    notAccepted: sent.filter((m) => !m.accepted).map((m) => `${m.fault}: ${m.end?.type === 'error' ? m.end.code : '?'}`),
    modelCallsThrottled: [...brain.records.values()].reduce((n, r) => n + r.throttled, 0),
    heldStreamsEnded: countBy(sent.filter((m) => m.holdAfterTokens !== undefined).map((m) => `${m.fault}:${brain.record(m.key).holdEnded ?? 'never held'}`)),
    userFailures: userFailures.length,
    handlerProblems: harness.problems.length,
  };
  process.stdout.write(`\nLOAD ${JSON.stringify(summary)}\n`);
  for (const f of userFailures.slice(0, 10)) process.stdout.write(`  ${f}\n`);
  for (const p of harness.problems.slice(0, 10)) process.stdout.write(`  handler: ${p}\n`);
});

afterAll(async () => {
  reader?.close();
  await harness?.close();
});

function countBy(values: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}

function fullText(m: SentMessage): string {
  return m.tokens.join('');
}

test('every user ran to the end of its script', () => {
  expectNone('users failed', userFailures);
  expect(sent.length).toBeGreaterThanOrEqual(USERS * 3);
});

test('every accepted user message is stored exactly once, with the text that was sent', () => {
  const accepted = sent.filter((m) => m.accepted);
  expect(accepted.length).toBeGreaterThan(0);
  expectNone('accepted messages not stored exactly once', accepted
    .map((m) => ({ id: m.messageId, found: (store.byId.get(m.messageId) ?? []).filter((x) => x.role === 'user') }))
    .filter((x) => x.found.length !== 1));
  expectNone('user messages stored with other text', accepted
    .filter((m) => (store.byId.get(m.messageId) ?? [])[0]?.text !== m.text).map((m) => m.messageId));
  // Nothing else was stored: refused, malformed or oversized messages left no user message behind.
  expect(store.messages.filter((m) => m.role === 'user').length).toBe(accepted.length);
});

test('every reply is stored once, finished, and holds exactly what the model produced for it', () => {
  const accepted = sent.filter((m) => m.accepted);
  const wrong: unknown[] = [];
  for (const m of accepted) {
    const replies = store.byId.get(m.accepted!.replyId) ?? [];
    const r = replies[0];
    const problem = (why: string) => wrong.push({
      fault: m.fault, replyId: m.accepted!.replyId, why, status: r?.status, stored: r?.text.slice(0, 40),
    });
    if (replies.length !== 1) { problem(`stored ${replies.length} times`); continue; }
    if (r.userMessageId !== m.messageId) problem('answers another message');
    switch (m.fault) {
      case 'model-throttled-exhausted':
        if (r.status !== 'error' || r.text !== '') problem('expected error with no text');
        break;
      case 'model-error-mid-stream':
        if (r.status !== 'error' || r.text !== m.tokens.slice(0, m.failAfterTokens).join('')) problem('expected error with the partial text');
        break;
      case 'stop':
        // The model held the stream after `holdAfterTokens` tokens until the stop ended it.
        if (r.status !== 'stopped' || r.text !== m.tokens.slice(0, m.holdAfterTokens).join('')) problem('expected stopped with the text before the stop');
        break;
      default:
        if (r.status !== 'complete' || r.text !== fullText(m)) problem('expected complete with the whole text');
    }
  }
  expectNone('replies stored wrong', wrong);
  expect(store.messages.filter((m) => m.role === 'assistant').length).toBe(accepted.length);
  expect(store.messages.filter((m) => m.status === 'streaming')).toEqual([]);
});

test('every client that stayed connected received, in order and once, exactly the stored reply', () => {
  const stayed = sent.filter((m) => m.received);
  expect(stayed.length).toBeGreaterThan(USERS * 2);
  expectNone('received streams that differ from the store', stayed
    .filter((m) => !m.received!.contiguous || m.received!.text !== (store.byId.get(m.accepted!.replyId) ?? [])[0]?.text)
    .map((m) => ({ fault: m.fault, replyId: m.accepted!.replyId, contiguous: m.received!.contiguous })));
});

test('model faults end the reply with the protocol\'s code; a throttle retried to success is invisible', () => {
  const expected: Partial<Record<SentMessage['fault'], string>> = {
    'none': 'done:end_turn',
    'model-throttled-retried': 'done:end_turn',
    'model-throttled-exhausted': 'error:MODEL_THROTTLED',
    'model-error-mid-stream': 'error:MODEL_ERROR',
    'stop': 'done:stopped',
    'busy': 'done:end_turn',
    'split-message': 'done:end_turn',
  };
  const seen = sent.filter((m) => expected[m.fault]);
  expect(seen.length).toBeGreaterThan(0);
  expectNone('messages ended otherwise than the protocol says', seen
    .map((m) => ({ fault: m.fault, got: m.end?.type === 'done' ? `done:${m.end.stopReason}` : `error:${(m.end as { code?: ErrorCode })?.code}` }))
    .filter((x) => x.got !== expected[x.fault]));
  expectNone('error frames without the replyId', sent.filter((m) => m.end?.type === 'error' && m.end.replyId !== m.accepted?.replyId).map((m) => m.messageId));
});

test('mid-answer faults acted while the model held the reply: a stop ended it, a drop or BUSY let it go on', () => {
  const held = sent.filter((m) => m.holdAfterTokens !== undefined);
  expect(held.length).toBe((USERS / 10) * 3);
  expectNone('held streams that ended otherwise', held
    .map((m) => ({ fault: m.fault, key: m.key, ended: brain.record(m.key).holdEnded }))
    .filter((x) => x.ended !== (x.fault === 'stop' ? 'aborted' : 'released')));
});

test('every message, split into parts or not, is accepted once', () => {
  const split = sent.filter((m) => m.fault === 'split-message');
  expect(split.length).toBe(USERS / 10);
  expectNone('messages accepted other than once', sent.filter((m) => m.acceptedFrames !== undefined && m.acceptedFrames !== 1)
    .map((m) => ({ fault: m.fault, messageId: m.messageId, accepted: m.acceptedFrames })));
});

test('a client that drops mid-answer and resends gets the same ids, and its reply is finished in the store', () => {
  const retried = sent.filter((m) => m.fault === 'disconnect-and-retry');
  expect(retried.length).toBe(USERS / 10);
  expectNone('resends answered with other ids', retried
    .filter((m) => m.reaccepted?.replyId !== m.accepted?.replyId || m.reaccepted?.conversationId !== m.accepted?.conversationId)
    .map((m) => m.messageId));
});

test('a second message while a reply is generating is refused with BUSY and never stored', () => {
  const busy = sent.filter((m) => m.fault === 'busy');
  expect(busy.length).toBe(USERS / 10);
  expectNone('second messages not refused with BUSY', busy.filter((m) => m.refused?.code !== 'BUSY').map((m) => m.refused));
  expectNone('refused messages that were stored', busy.filter((m) => store.byId.has(m.refused!.messageId!)).map((m) => m.refused!.messageId));
});

test('malformed, unknown, oversized and foreign frames are answered with their error code and the socket lives on', () => {
  expect(faults.length).toBeGreaterThanOrEqual((USERS / 10) * 9);
  expectNone('bad frames answered with the wrong code', faults.filter((f) => f.got !== f.expected));
});

test('a bad message is answered once, even when it came in parts', () => {
  expectNone('bad messages answered more than once', faults.filter((f) => f.answers !== undefined && f.answers !== 1));
});

test('forged tokens are refused at the handshake with 401', () => {
  expect(handshakes.length).toBe(8);
  expectNone('forged tokens not refused with 401', handshakes.filter((h) => h.status !== 401));
});

test('a frame over 32 KiB closes the connection with 1009', () => {
  expect(oversized.map((o) => o.closeCode)).toEqual([1009, 1009]);
});

test('DynamoDB throttled some writes during the run (and the checks above still hold)', () => {
  expect(harness.proxy!.stats.throttled).toBeGreaterThan(0);
});

test('a store write that DynamoDB keeps refusing is answered with a retryable INTERNAL', () => {
  expect(harness.proxy!.stats.exhaustedWrites).toBe(EXHAUSTED_BATCH_WRITES);
  const internal = sent.flatMap((m) => m.retries ?? []).filter((code) => code === 'INTERNAL');
  expect(internal).toHaveLength(EXHAUSTED_BATCH_WRITES);
});
