/**
 * `historyReadMs`: what reading the history window costs when a conversation has 10 prior
 * messages and when it has 10,000. Two views: the window read itself (the store's newest-first
 * query fed to the window builder, page by page, as the chat handler does), and the whole handler
 * path from the client's `sendMessage` to the model receiving its request.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { BenchBrain } from './bench-brain';
import type { Harness } from './harness';
import { measureOurs } from './measure';
import { median, nowMs, round } from './stats';
import { koreanText, tokenize } from './text';
import { login, mustConnect } from './wire-client';
import { loadWindow } from '../../../src/core/generate';
import { HistoryService } from '../../../src/core/history';
import { leaseTaken } from '../../../src/core/ports/store';
import { ConversationStore } from '../../../src/core/store';
import * as K from '../../../src/core/store/item-keys';
import { attachTurn, placeMessage } from '../../../src/core/tree';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../../src/local/dynamo';
import { subForUsername } from '../../../src/local/local-sign-in';

/** Budget the handler uses by default (HISTORY_TOKEN_BUDGET). */
const BUDGET = 8000;
/** A typical turn: a 60-character question and a 400-character answer, in Korean. */
const USER_CHARS = 60;
const REPLY_CHARS = 400;
const READS = 100;
const HANDLER_SENDS = 5;

/** The figures. */
export interface HistoryRead {
  /** Median ms of the window read with 10 prior messages. */
  prior10: number;
  /** With 1,000: shows where the cost stops growing (the window is full before the history ends). */
  prior1000: number;
  prior10000: number;
  /** prior10000 / prior10. */
  ratio: number;
  /** Messages the window held in each case. */
  windowMessages: { prior10: number; prior1000: number; prior10000: number };
  /** Median ms from the client's sendMessage to the model getting the request, in each case. */
  sendToModelMs: { prior10: number; prior10000: number };
}

function docClient(endpoint: string): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS }));
}

/** Writes `count` prior messages (alternating user/complete reply) into a new conversation of `user`. */
async function seedConversation(store: ConversationStore, doc: DynamoDBDocumentClient, table: string, user: string, conversationId: string,
  count: number): Promise<void> {
  const start = Date.now() - count * 1000;
  await store.conversations.create(user, conversationId, 'history bench', start, 'seed-reply-0000', 0);
  await store.conversations.finishLease(user, conversationId, 'seed-reply-0000', start);
  const pk = K.messagesPk(user, conversationId);
  const requests: Array<Record<string, any>> = [];
  for (let i = 0; i < count; i++) {
    const t = start + i * 1000;
    const isUser = i % 2 === 0;
    const id = `seed-${conversationId}-${i}`.slice(0, 64);
    const at = new Date(t).toISOString();
    requests.push({
      PutRequest: {
        Item: isUser
          ? { pk, sk: K.messageSk(t, 'user', id), messageId: id, role: 'user', text: koreanText(USER_CHARS), status: 'complete', createdAt: at }
          : { pk, sk: K.messageSk(t, 'reply', id), messageId: id, role: 'assistant', text: koreanText(REPLY_CHARS), status: 'complete', createdAt: at, checkpointAt: t, stopReason: 'end_turn' },
      },
    });
  }
  // Seeded as raw items in batches (a bench fixture; far faster than storing 5,000 turns one by one).
  for (let i = 0; i < requests.length; i += 25) {
    let pending = requests.slice(i, i + 25);
    while (pending.length > 0) {
      const r = await doc.send(new BatchWriteCommand({ RequestItems: { [table]: pending as any } }));
      pending = (r.UnprocessedItems?.[table] ?? []) as Array<Record<string, any>>;
    }
  }
}

/**
 * One window read with the chat handler's own `loadWindow`, for a new message placed after every
 * seeded one. Returns the prior messages the window kept.
 */
async function readWindow(store: ConversationStore, user: string, conversationId: string): Promise<number> {
  const t = Date.now();
  const job = {
    user,
    turn: { conversationId, t, messageId: 'probe-message-0000', replyId: 'probe-reply-0000' },
    text: '기록을 읽어 주세요.',
    calib: 1,
  };
  const { turns } = await loadWindow(store.messages, job, BUDGET);
  return turns.length - 1;
}

/** Seeds two conversations and measures both views. */
export async function measureHistoryRead(harness: Harness, brain: BenchBrain,
  progress: (line: string) => void = () => undefined): Promise<HistoryRead> {
  const doc = docClient(harness.dynamoEndpoint);
  const store = new ConversationStore(doc, harness.tableName);
  const username = 'bench-history';
  const user = subForUsername(username);
  const small = 'history-prior-10';
  const medium = 'history-prior-1000';
  const large = 'history-prior-10000';
  const t0 = nowMs();
  await seedConversation(store, doc, harness.tableName, user, small, 10);
  await seedConversation(store, doc, harness.tableName, user, medium, 1000);
  await seedConversation(store, doc, harness.tableName, user, large, 10_000);
  progress(`  seeded 10 + 1,000 + 10,000 messages in ${((nowMs() - t0) / 1000).toFixed(1)} s`);

  const timed = async (conversationId: string) => {
    const samples: number[] = [];
    let size = 0;
    await readWindow(store, user, conversationId); // warm the client's connection
    for (let i = 0; i < READS; i++) {
      const t = nowMs();
      size = await readWindow(store, user, conversationId);
      samples.push(nowMs() - t);
    }
    return { ms: median(samples), size };
  };
  const a = await timed(small);
  const m = await timed(medium);
  const b = await timed(large);
  doc.destroy();

  // The handler path: each send adds a turn, so the small conversation stays small (≤ 20 messages).
  const socket = await mustConnect(harness.wsUrl, await login(harness.url, username));
  const viaHandler = async (conversationId: string, label: string) => {
    const samples: number[] = [];
    for (let i = 0; i < HANDLER_SENDS; i++) {
      const key = `hist-${label}-${i}`;
      brain.define(key, { tokens: tokenize(koreanText(20), 2), firstTokenMs: 0, intervalMs: 0 });
      const sentAt = nowMs();
      await measureOurs(socket, key, '기록을 읽어 주세요.', conversationId);
      samples.push(brain.record(key).requestAt[0] - sentAt);
    }
    return median(samples);
  };
  const h10 = await viaHandler(small, 'small');
  const h10000 = await viaHandler(large, 'large');
  await socket.close();
  return {
    prior10: round(a.ms, 2),
    prior1000: round(m.ms, 2),
    prior10000: round(b.ms, 2),
    ratio: round(b.ms / a.ms, 2),
    windowMessages: { prior10: a.size, prior1000: m.size, prior10000: b.size },
    sendToModelMs: { prior10: round(h10, 2), prior10000: round(h10000, 2) },
  };
}

/** The branch figures: the history window and the first page with 1 branch, and with 50 sibling versions at one turn. */
export interface BranchRead {
  /** Median ms and DynamoDB requests of the window read of a new message (placing it included). */
  window: { oneBranch: { ms: number; requests: number }; siblings50: { ms: number; requests: number } };
  /** The same for the first page of the active path (GET messages, 50). */
  page: { oneBranch: { ms: number; requests: number }; siblings50: { ms: number; requests: number } };
  /** Prior messages in the window, both cases (the same path length). */
  windowMessages: number;
}

/** Turns of the branch conversations; the versions are at the middle one. */
const BRANCH_TURNS = 20;
const BRANCH_VERSIONS = 50;

/**
 * A tree conversation of BRANCH_TURNS turns stored through the store's own writes (placed, put,
 * attached and finished as the chat handler does), with `versions` replies to the middle turn's
 * user message (the last one active, the conversation continuing below it).
 */
async function seedTree(store: ConversationStore, user: string, conversationId: string, versions: number): Promise<void> {
  const tree = store.tree;
  const start = Date.now() - 10 * 60_000;
  let t = start;
  await store.conversations.create(user, conversationId, 'branch bench', t, 'seed-lease-0000', t + 3_600_000);
  await store.conversations.finishLease(user, conversationId, 'seed-lease-0000', t);
  let created = true;
  for (let i = 0; i < BRANCH_TURNS; i++) {
    const root = (await store.conversations.get(user, conversationId))?.tree;
    const place = await placeMessage(tree, user, conversationId, root, created, undefined);
    created = false;
    if (typeof place === 'string') throw new Error(`seeding: ${place}`);
    const messageId = `seed-u-${conversationId}-${i}`.slice(0, 64);
    const repliesHere = i === BRANCH_TURNS / 2 ? versions : 1;
    for (let v = 0; v < repliesHere; v++) {
      t += 10;
      const replyId = `seed-r-${conversationId}-${i}-${v}`.slice(0, 64);
      const turnPlace = v === 0 ? place : { ...place, userT: t - 10 * v, init: [] };
      const turn = { conversationId, t, messageId, replyId, tree: turnPlace };
      if (!leaseTaken(await store.conversations.acquireLease(user, conversationId, replyId, t, t + 3_600_000))) throw new Error('seeding: lease');
      await store.messages.putTurn(user, turn, koreanText(USER_CHARS));
      await attachTurn(tree, user, turn);
      await store.messages.finishReply(user, turn, { text: koreanText(REPLY_CHARS), status: 'complete', stopReason: 'end_turn' }, t);
      await store.conversations.finishLease(user, conversationId, replyId, t);
    }
  }
}

/** Counts the requests a DocumentClient sends. */
function counted(doc: DynamoDBDocumentClient): { count: () => number; reset: () => void } {
  let n = 0;
  doc.middlewareStack.add((next, context) => async (args) => {
    n++;
    if (process.env.BENCH_TRACE) process.stderr.write(`${context.commandName}\n`);
    return next(args);
  }, { step: 'initialize', name: 'benchCount' });
  return { count: () => n, reset: () => { n = 0; } };
}

/** Seeds a one-branch and a 50-version conversation and times the window read and the first page of each. */
export async function measureBranchRead(harness: Harness, progress: (line: string) => void = () => undefined): Promise<BranchRead> {
  const doc = docClient(harness.dynamoEndpoint);
  const requests = counted(doc);
  const store = new ConversationStore(doc, harness.tableName);
  const user = subForUsername('bench-branches');
  const t0 = nowMs();
  await seedTree(store, user, 'branch-one-version', 1);
  await seedTree(store, user, 'branch-fifty-versions', BRANCH_VERSIONS);
  progress(`  seeded 2 × ${BRANCH_TURNS} turns, ${BRANCH_VERSIONS} versions at turn ${BRANCH_TURNS / 2} in ${((nowMs() - t0) / 1000).toFixed(1)} s`);
  const history = new HistoryService(store);

  const windowRead = async (conversationId: string) => {
    const root = (await store.conversations.get(user, conversationId))?.tree;
    const place = await placeMessage(store.tree, user, conversationId, root, false, undefined);
    if (typeof place === 'string') throw new Error(place);
    const job = { user, turn: { conversationId, t: Date.now(), messageId: 'probe-message-0000', replyId: 'probe-reply-0000', tree: place }, text: '기록을 읽어 주세요.', calib: 1 };
    return (await loadWindow(store.messages, job, BUDGET * 4, store.tree)).turns.length - 1;
  };
  const pageRead = async (conversationId: string) => {
    const r = await history.handle(user, { method: 'GET', path: `/conversations/${conversationId}/messages`, query: {} });
    if (r.statusCode !== 200) throw new Error(`page answered ${r.statusCode}`);
    return (r.body as { items: unknown[] }).items.length;
  };
  const timed = async (read: (c: string) => Promise<number>, conversationId: string) => {
    await read(conversationId);
    requests.reset();
    await read(conversationId);
    const perRead = requests.count();
    const samples: number[] = [];
    for (let i = 0; i < READS; i++) {
      const t = nowMs();
      await read(conversationId);
      samples.push(nowMs() - t);
    }
    return { ms: round(median(samples), 2), requests: perRead };
  };
  const out: BranchRead = {
    window: { oneBranch: await timed(windowRead, 'branch-one-version'), siblings50: await timed(windowRead, 'branch-fifty-versions') },
    page: { oneBranch: await timed(pageRead, 'branch-one-version'), siblings50: await timed(pageRead, 'branch-fifty-versions') },
    windowMessages: await windowRead('branch-fifty-versions'),
  };
  if (out.windowMessages !== await windowRead('branch-one-version')) throw new Error('the two paths differ in length');
  // Both pages are the active path: the same 40 messages, the versions at the middle turn.
  const one = await history.handle(user, { method: 'GET', path: '/conversations/branch-one-version/messages', query: {} });
  const fifty = await history.handle(user, { method: 'GET', path: '/conversations/branch-fifty-versions/messages', query: {} });
  const items = (r: typeof one) => (r.body as { items: Array<{ versions?: { ids: string[] } }> }).items;
  if (items(one).length !== items(fifty).length || items(fifty).filter((m) => m.versions?.ids.length === BRANCH_VERSIONS).length !== 1) {
    throw new Error('the pages are not the active paths');
  }
  doc.destroy();
  return out;
}
