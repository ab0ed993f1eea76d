import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Emulators, id, startEmulators, wsEvent } from '../support/harness';

// The chat bundle the construct deploys (assets/handlers/chat.lambda/index.js, built with the SDK's
// ES builds so esbuild can drop unused commands), run in its own Node process against the
// emulators: the built artefact streams and stores a reply, not only the TypeScript source.

const BUNDLE = join(__dirname, '..', '..', 'assets', 'handlers', 'chat.lambda', 'index.js');
const run = promisify(execFile);

let em: Emulators;
beforeAll(async () => {
  em = await startEmulators();
});
afterAll(async () => em.close());

test('the built chat bundle streams a Korean reply through @connections and stores it', async () => {
  expect(existsSync(BUNDLE) ? BUNDLE : 'assets/handlers/chat.lambda/index.js is not built: run npx projen bundle').toBe(BUNDLE);
  em.brain.script = { tokens: ['안녕', '하세요', ', 번들', '입니다.'], intervalMs: 5 };
  const conn = id('bundle');
  const messageId = id('msg');
  // The async sendMessage integration delivers the frame as a JSON object.
  const event = wsEvent('sendMessage', 'bundle-user', conn, { action: 'sendMessage', messageId, text: '번들 확인' });
  const script = 'require(process.argv[1]).handler(JSON.parse(process.argv[2]))'
    + '.then((r) => { process.stdout.write(JSON.stringify(r)); process.exit(0); }, (e) => { console.error(e); process.exit(1); })';
  const { stdout } = await run(process.execPath, ['-e', script, BUNDLE, JSON.stringify(event)], {
    env: { PATH: process.env.PATH ?? '', NODE_NO_WARNINGS: '1', ...em.env },
    encoding: 'utf8',
  });
  expect(JSON.parse(stdout)).toEqual({ statusCode: 200 });

  const frames = em.sink.frames(conn);
  expect(frames[0]).toMatchObject({ type: 'accepted', messageId });
  const done = frames.find((f) => f.type === 'done');
  expect(done).toMatchObject({ stopReason: 'end_turn' });
  const text = frames.filter((f) => f.type === 'delta').map((f) => f.text).join('');
  expect(text).toBe('안녕하세요, 번들입니다.');
  const conversationId = frames[0].conversationId as string;
  const stored = (await em.store.messages.newestFirst('bundle-user', conversationId, 10)).items.reverse();
  expect(stored.map((m) => [m.role, m.text])).toEqual([['user', '번들 확인'], ['assistant', '안녕하세요, 번들입니다.']]);
});
