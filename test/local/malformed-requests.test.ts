import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CLI, offlineEnv, startCli } from './lib/cli-process';
import { rawRequest, UPGRADE_HEADERS } from './lib/raw-http';
import { BAD_REQUEST_LINE, requestUrl, safeDecode } from '../../src/local/safe-url';
import { LocalStack, startLocalStack } from '../../src/local/stack';

// A request line that `new URL` or `decodeURIComponent` cannot read (an absolute-form target with
// port 99999, a bad percent-escape) used to throw out of a listener and end the whole stack. Every
// listener must answer 400 and keep serving. Raw TCP: no HTTP client sends such request lines.

const BAD_TARGET = 'http://127.0.0.1:99999/';

describe('safe-url helpers', () => {
  test('never throw on what a client controls', () => {
    expect(requestUrl({ url: BAD_TARGET })).toBeUndefined();
    expect(requestUrl({ url: 'http://[::1' })).toBeUndefined();
    expect(requestUrl({ url: '/a?b=c' })?.pathname).toBe('/a');
    expect(safeDecode('%zz')).toBeUndefined();
    expect(safeDecode('%E0%A4%A')).toBeUndefined();
    expect(safeDecode('%ED%95%9C')).toBe('한');
  });
});

describe('every listener of the stack answers 400 to a malformed request and keeps running', () => {
  let stack: LocalStack;
  let port: number;
  let connectionsPort: number;
  let modelPort: number;
  const logged: string[] = [];

  beforeAll(async () => {
    stack = await startLocalStack({ port: 0, inMemory: true, model: 'offline', log: (l) => logged.push(l) });
    port = Number(new URL(stack.url).port);
    // The stack hands its internal endpoints to the handlers in the environment it builds them from.
    connectionsPort = Number(new URL(stack.environment.chat.aws.connectionsEndpoint!).port);
    modelPort = Number(new URL(stack.environment.chat.aws.bedrockEndpoint!).port);
  });
  afterAll(async () => stack?.close());

  const host = (p: number) => `Host: 127.0.0.1:${p}\r\n`;
  async function stillServing(): Promise<void> {
    const config = await rawRequest(port, `GET /config.json HTTP/1.1\r\n${host(port)}\r\n`);
    expect(config.status).toBe(200);
    expect(JSON.parse(config.body).auth).toEqual({ mode: 'local' });
  }

  test.each([
    ['the static client', `GET ${BAD_TARGET} HTTP/1.1\r\n`],
    ['the HTTP API', `GET ${BAD_TARGET}api/conversations HTTP/1.1\r\nAuthorization: Bearer x\r\n`],
    ['sign-in', `POST ${BAD_TARGET}local/login HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 2\r\n`],
  ])('%s: an invalid port in the request target', async (_what, request) => {
    const r = await rawRequest(port, `${request}${host(port)}\r\n${request.startsWith('POST') ? '{}' : ''}`);
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body).message).toBe(BAD_REQUEST_LINE);
    await stillServing();
  });

  test('the WebSocket gateway: the same request target with upgrade headers', async () => {
    const r = await rawRequest(port, `GET ${BAD_TARGET}ws?token=x HTTP/1.1\r\n${host(port)}${UPGRADE_HEADERS}\r\n`);
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body).message).toBe(BAD_REQUEST_LINE);
    await stillServing();
  });

  test('bad percent-escapes in paths of the static client and the HTTP API', async () => {
    expect((await rawRequest(port, `GET /%zz HTTP/1.1\r\n${host(port)}\r\n`)).status).toBe(400);
    // A bad escape in a path parameter matches no route (404 before auth, as the real HTTP API does).
    expect((await rawRequest(port, `GET /api/conversations/%zz HTTP/1.1\r\n${host(port)}Authorization: Bearer x\r\n\r\n`)).status).toBe(404);
    await stillServing();
  });

  test('the @connections endpoint: a bad percent-escape in the connection id, and an invalid request target', async () => {
    const escape = await rawRequest(connectionsPort,
      `POST /local/@connections/%zz HTTP/1.1\r\n${host(connectionsPort)}Content-Length: 2\r\n\r\n{}`);
    expect(escape.status).toBe(400);
    expect(escape.head).toMatch(/x-amzn-errortype: BadRequestException/i);
    expect(JSON.parse(escape.body).message).toMatch(/percent-escape/);
    const target = await rawRequest(connectionsPort, `GET ${BAD_TARGET} HTTP/1.1\r\n${host(connectionsPort)}\r\n`);
    expect(target.status).toBe(400);
    // Still answering: a well-formed request for a connection that does not exist is 410 Gone.
    expect((await rawRequest(connectionsPort, `GET /local/@connections/nope HTTP/1.1\r\n${host(connectionsPort)}\r\n`)).status).toBe(410);
    await stillServing();
  });

  test('the model server: a bad percent-escape in the model id, and an invalid request target', async () => {
    const escape = await rawRequest(modelPort,
      `POST /model/%zz/converse-stream HTTP/1.1\r\n${host(modelPort)}Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}`);
    expect(escape.status).toBe(400);
    expect(escape.head).toMatch(/x-amzn-errortype: ValidationException/i);
    const target = await rawRequest(modelPort, `POST ${BAD_TARGET} HTTP/1.1\r\n${host(modelPort)}Content-Length: 2\r\n\r\n{}`);
    expect(target.status).toBe(400);
    // Still answering: a real request for the offline model streams.
    const body = JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'hi' }] }] });
    const ok = await rawRequest(modelPort, `POST /model/offline/converse HTTP/1.1\r\n${host(modelPort)}Content-Type: application/json\r\n`
      + `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    expect(ok.status).toBe(200);
    await stillServing();
  });
});

describe('the bundled CLI survives malformed requests', () => {
  let home: string;
  beforeAll(() => {
    if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npx projen bundle\` first`);
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'malformed-'));
  });
  afterAll(() => fs.rmSync(home, { recursive: true, force: true }));

  test('after each malformed request the process still serves, and stops cleanly', async () => {
    const cli = await startCli([process.execPath, CLI, 'dev', '--port', '0', '--in-memory', '--model', 'offline'], { cwd: home, env: offlineEnv(home) });
    const port = Number(new URL(cli.url).port);
    const host = `Host: 127.0.0.1:${port}\r\n`;
    try {
      for (const request of [
        `GET ${BAD_TARGET} HTTP/1.1\r\n${host}\r\n`,
        `GET ${BAD_TARGET}ws HTTP/1.1\r\n${host}${UPGRADE_HEADERS}\r\n`,
        `GET ${BAD_TARGET}api/conversations HTTP/1.1\r\n${host}\r\n`,
      ]) {
        expect((await rawRequest(port, request)).status).toBe(400);
        expect((await rawRequest(port, `GET /config.json HTTP/1.1\r\n${host}\r\n`)).status).toBe(200);
      }
    } finally {
      expect(await cli.stop()).toBe(0);
    }
    expect(cli.stderr()).toBe('');
  });
});
