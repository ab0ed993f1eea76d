import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { api, chat, login, newMessageId, openSocket } from './lib/chat';
import { createDocumentClient } from '../../src/core/aws';
import { DEFAULT_SYSTEM_PROMPT } from '../../src/core/prompts';
import { ConversationStore } from '../../src/core/store';
import { startDynamo } from '../../src/local/dynamo';
import { offlineReplyText } from '../../src/local/model-server';
import { CLI, CliProcess, offlineEnv, startCli } from '../local/lib/cli-process';
import type { TestSocket } from '../local/lib/ws-client';

// A stack stopped (or killed) while a reply streams: that reply's generator dies with the process.
// It must read `interrupted` with the text checkpointed so far as soon as the stack runs again,
// and the conversation must take the next message at once (not BUSY until the lease lapses).

let dir: string;
beforeAll(() => {
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npx projen bundle\` first`);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'interrupted-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const QUESTION = '긴 답을 천천히 보내 주세요.';

/** 5 characters a second: the offline reply (500+ characters) streams for a minute, far past the 5 s drain. */
function start(dataDir: string, cps = 5): Promise<CliProcess> {
  return startCli([process.execPath, CLI, 'dev', '--port', '0', '--data-dir', dataDir, '--model', 'offline', '--offline-cps', String(cps)],
    { cwd: dir, env: offlineEnv(dir) });
}

function exited(cli: CliProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (cli.proc.exitCode !== null) resolve(cli.proc.exitCode);
    else cli.proc.once('close', (code) => resolve(code));
  });
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((r) => setTimeout(r, 50));
}

/** Starts a slow reply and waits until the store holds some of its text (a checkpoint). */
interface Underway { token: string; socket: TestSocket; conversationId: string; replyId: string; stored: string }

async function replyUnderway(cli: CliProcess): Promise<Underway> {
  const token = await login(cli.url, '앨리스');
  const socket = await openSocket(`${cli.url.replace('http', 'ws')}/ws`, token);
  const messageId = newMessageId();
  socket.send({ action: 'sendMessage', messageId, text: QUESTION });
  const accepted = await socket.next((f) => f.messageId === messageId && (f.type === 'accepted' || f.type === 'error'));
  expect(accepted.type).toBe('accepted');
  // Poll the history until a checkpoint has stored text (checkpoints come every 2 s).
  for (;;) {
    const page = await api(cli.url, token, `/conversations/${accepted.conversationId}/messages`);
    const reply = page.body.items.find((m: any) => m.messageId === accepted.replyId);
    if (reply?.text) {
      expect(reply.status).toBe('streaming');
      return { token, socket, conversationId: accepted.conversationId, replyId: accepted.replyId, stored: reply.text };
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** After the restart: the reply is interrupted with its checkpointed text, and a new message is answered. */
async function expectRecovered(cli: CliProcess, conversationId: string, replyId: string, storedBefore: string): Promise<void> {
  const token = await login(cli.url, '앨리스');
  const page = await api(cli.url, token, `/conversations/${conversationId}/messages`);
  const reply = page.body.items.find((m: any) => m.messageId === replyId);
  expect(reply).toMatchObject({ status: 'interrupted' });
  const full = offlineReplyText({ modelId: 'offline', messages: [{ role: 'user', content: [{ text: QUESTION }] }], system: [DEFAULT_SYSTEM_PROMPT], inferenceConfig: {}, streaming: true });
  // The checkpointed text: at least what was stored while it ran, a prefix of the whole reply, not all of it.
  expect(reply.text.startsWith(storedBefore)).toBe(true);
  expect(full.startsWith(reply.text)).toBe(true);
  expect(reply.text.length).toBeLessThan(full.length);
  const socket = await openSocket(`${cli.url.replace('http', 'ws')}/ws`, token);
  try {
    const next = await chat(socket, '다시 시작했어요. 이어서 답해 주세요.', conversationId);
    expect(next.accepted.type).toBe('accepted');
    expect(next.done.type).toBe('done');
  } finally {
    socket.ws.close();
  }
}

test('stopped gracefully (SIGHUP, as closing the terminal does) mid-answer: the reply is interrupted in the store and the next message is accepted after a restart', async () => {
  const dataDir = path.join(dir, 'graceful');
  const first = await start(dataDir);
  let underway: Underway;
  try {
    underway = await replyUnderway(first);
  } catch (err) {
    await first.stop();
    throw err;
  }
  const code = exited(first);
  process.kill(-first.proc.pid!, 'SIGHUP');
  expect(await code).toBe(0);
  expect(first.stdout()).toMatch(/SIGHUP, finishing running replies/);
  expect(first.stdout()).toMatch(/stopped/);
  expect(first.stderr()).toMatch(/1 reply still running at shutdown marked interrupted/);

  // Already in the store at shutdown, before any restart.
  const dynamo = await startDynamo({ path: path.join(dataDir, 'dynamodb') });
  const doc = createDocumentClient({ region: 'us-east-1', dynamodbEndpoint: dynamo.endpoint, localCredentials: true });
  try {
    const store = new ConversationStore(doc, dynamo.tableName);
    const sub = JSON.parse(Buffer.from(underway.token.split('.')[1], 'base64url').toString()).sub;
    const page = await store.messages.newestFirst(sub, underway.conversationId, 10);
    expect(page.items.find((m) => m.messageId === underway.replyId)).toMatchObject({ status: 'interrupted', stopReason: 'interrupted' });
    expect((await store.conversations.get(sub, underway.conversationId))?.leaseReplyId).toBeUndefined();
  } finally {
    doc.destroy();
    await dynamo.close();
  }

  const second = await start(dataDir, 5000);
  try {
    await expectRecovered(second, underway.conversationId, underway.replyId, underway.stored);
  } finally {
    expect(await second.stop()).toBe(0);
  }
});

test('killed mid-answer (SIGKILL, no shutdown at all): the next start marks the reply interrupted and frees the conversation', async () => {
  const dataDir = path.join(dir, 'killed');
  const first = await start(dataDir);
  let underway: Underway;
  try {
    underway = await replyUnderway(first);
  } finally {
    const code = exited(first);
    process.kill(-first.proc.pid!, 'SIGKILL');
    await code;
  }
  const second = await start(dataDir, 5000);
  try {
    // Written before the ready line, on the other pipe: wait for it to arrive.
    await until(() => /1 reply left streaming by the last run marked interrupted/.test(second.stderr()));
    await expectRecovered(second, underway.conversationId, underway.replyId, underway.stored);
  } finally {
    expect(await second.stop()).toBe(0);
  }
});
