import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { api, chat, login, openSocket } from './lib/chat';
import { CLI, CliProcess, offlineEnv, startCli } from '../local/lib/cli-process';

// The bundled bin, stopped with Ctrl-C and started again on the same --data-dir: the store
// survives, and signing in again under the same name is the same user. (An old token only stays
// valid when the port is the same too: the issuer is the stack's URL.)

let dir: string;
beforeAll(() => {
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npx projen bundle\` first`);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'restart-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function start(dataDir: string): Promise<CliProcess> {
  return startCli([process.execPath, CLI, 'dev', '--port', '0', '--data-dir', dataDir, '--model', 'offline', '--offline-cps', '5000'], { cwd: dir, env: offlineEnv(dir) });
}

test('messages written before a Ctrl-C are all there after a restart with the same --data-dir', async () => {
  const dataDir = path.join(dir, 'data');
  const first = await start(dataDir);
  let token: string;
  let conversationId: string;
  let before: any[];
  try {
    token = await login(first.url, '앨리스');
    const s = await openSocket(first.url.replace('http', 'ws') + '/ws', token);
    const one = await chat(s, '첫 번째 메시지입니다.');
    conversationId = one.accepted.conversationId;
    await chat(s, '두 번째 메시지입니다.', conversationId);
    s.ws.close();
    before = (await api(first.url, token, `/conversations/${conversationId}/messages`)).body.items;
    expect(before).toHaveLength(4);
  } finally {
    expect(await first.stop()).toBe(0);
  }
  expect(fs.readdirSync(dataDir).sort()).toEqual(expect.arrayContaining(['dynamodb', 'local-signing-key.pem']));

  const second = await start(dataDir);
  try {
    const again = await login(second.url, '앨리스');
    const after = await api(second.url, again, `/conversations/${conversationId}/messages`);
    expect(after.status).toBe(200);
    expect(after.body.items).toEqual(before);
    const list = await api(second.url, again, '/conversations');
    expect(list.body.items.map((c: any) => c.conversationId)).toEqual([conversationId]);
    const s = await openSocket(second.url.replace('http', 'ws') + '/ws', again);
    const third = await chat(s, '세 번째 메시지입니다.', conversationId);
    s.ws.close();
    expect(third.text).toMatch(/^\[offline model\] context: 4 messages/);
  } finally {
    expect(await second.stop()).toBe(0);
  }
});
