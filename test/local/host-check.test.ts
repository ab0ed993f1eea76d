import * as http from 'http';
import * as os from 'os';
import { offlineEnv, runCli } from './lib/cli-process';
import { connect, HandshakeRefused } from './lib/ws-client';
import { HostPolicy, validAllowHost } from '../../src/local/host-check';
import { LocalStack, startLocalStack } from '../../src/local/stack';

// DNS rebinding: a page of evil.example that re-points its name at 127.0.0.1 calls the stack as
// same-origin, with `Host: evil.example:PORT`. Cross-site pages send their own Origin. The stack
// answers only to its loopback names (and --allow-host names) and to pages of those names.

/** One request with the given Host and Origin (fetch cannot set Host). */
function request(url: string, options: { method?: string; host?: string; origin?: string; body?: string; token?: string } = {}):
Promise<{ status: number; body: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: u.hostname,
      port: u.port,
      path: u.pathname,
      method: options.method ?? 'GET',
      headers: {
        ...(options.host ? { host: options.host } : {}),
        ...(options.origin ? { origin: options.origin } : {}),
        ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
        ...(options.body ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(options.body)) } : {}),
      },
    }, (res) => {
      let body = '';
      res.on('data', (c) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

const LOGIN = JSON.stringify({ username: 'alice' });

describe('HostPolicy', () => {
  const policy = new HostPolicy({ port: 8787, allowHosts: ['MyBox.lan', 'proxy.example:443', '::1', 'fe80::1'] });

  test('accepts the loopback names with the stack port, the allowed names, and nothing else', () => {
    for (const ok of ['127.0.0.1:8787', 'localhost:8787', 'LOCALHOST:8787', '[::1]:8787', 'mybox.lan:8787', 'proxy.example:443', '[fe80::1]:8787']) {
      expect(policy.allowsHost(ok)).toBe(true);
    }
    for (const bad of [undefined, '', '127.0.0.1', '127.0.0.1:8788', 'evil.example:8787', 'localhost.evil.example:8787', 'mybox.lan:9999', '127.0.0.2:8787']) {
      expect(policy.allowsHost(bad)).toBe(false);
    }
  });

  test('accepts Origins of accepted hosts only (default ports filled in)', () => {
    expect(policy.allowsOrigin('http://127.0.0.1:8787')).toBe(true);
    expect(policy.allowsOrigin('http://mybox.lan:8787')).toBe(true);
    expect(policy.allowsOrigin('https://proxy.example')).toBe(true);
    expect(policy.allowsOrigin('http://proxy.example')).toBe(false);
    expect(policy.allowsOrigin('http://evil.example:8787')).toBe(false);
    expect(policy.allowsOrigin('null')).toBe(false);
    expect(policy.allowsOrigin('http://127.0.0.1:8787/path')).toBe(false);
  });

  test('a specific --host address is a name of the stack; 0.0.0.0 is not', () => {
    expect(new HostPolicy({ port: 1, listenHost: '192.168.1.5' }).allowsHost('192.168.1.5:1')).toBe(true);
    expect(new HostPolicy({ port: 1, listenHost: '0.0.0.0' }).allowsHost('0.0.0.0:1')).toBe(false);
  });

  test('--allow-host values are host names or addresses, optionally with a port', () => {
    for (const ok of ['mybox.lan', 'mybox.lan:8080', '192.168.1.5', '[fe80::1]:80', 'fe80::1']) expect(validAllowHost(ok)).toBe(true);
    for (const bad of ['', 'http://mybox.lan', 'mybox.lan/x', '*', 'a b', '8080']) expect(validAllowHost(bad)).toBe(false);
  });
});

describe('the local stack refuses a foreign Host or Origin', () => {
  let stack: LocalStack;
  let port: string;

  beforeAll(async () => {
    stack = await startLocalStack({ port: 0, inMemory: true, model: 'offline', allowHosts: ['mybox.lan'], log: () => undefined });
    port = new URL(stack.url).port;
  });
  afterAll(async () => stack?.close());

  test('sign-in, /config.json, the client, /api and the JWKS answer 403 with a one-line reason to a rebound Host', async () => {
    const host = `evil.example:${port}`;
    for (const r of [
      await request(`${stack.url}/local/login`, { method: 'POST', host, body: LOGIN }),
      await request(`${stack.url}/config.json`, { host }),
      await request(`${stack.url}/`, { host }),
      await request(`${stack.url}/api/conversations`, { host, token: 'x' }),
      await request(`${stack.url}/local/.well-known/jwks.json`, { host }),
    ]) {
      expect(r.status).toBe(403);
      const message = JSON.parse(r.body).message as string;
      expect(message.split('\n')).toHaveLength(1);
      expect(message).toMatch(/Host "evil\.example:\d+" is not a name of this stack.*--allow-host/);
    }
  });

  test('a cross-site Origin is refused even with a good Host; the stack own pages are accepted', async () => {
    const cross = await request(`${stack.url}/local/login`, { method: 'POST', origin: 'http://evil.example', body: LOGIN });
    expect(cross.status).toBe(403);
    expect(JSON.parse(cross.body).message).toMatch(/Origin "http:\/\/evil\.example" is not a page of this stack/);
    const own = await request(`${stack.url}/local/login`, { method: 'POST', origin: `http://localhost:${port}`, body: LOGIN });
    expect(own.status).toBe(200);
    expect(JSON.parse(own.body).idToken).toEqual(expect.any(String));
  });

  test('/config.json names only an accepted host; --allow-host names work', async () => {
    const local = JSON.parse((await request(`${stack.url}/config.json`, { host: `localhost:${port}` })).body);
    expect(local.webSocketUrl).toBe(`ws://localhost:${port}/ws`);
    const lan = await request(`${stack.url}/config.json`, { host: `mybox.lan:${port}`, origin: `http://mybox.lan:${port}` });
    expect(lan.status).toBe(200);
    expect(JSON.parse(lan.body).webSocketUrl).toBe(`ws://mybox.lan:${port}/ws`);
    expect(stack.allowedHosts).toEqual(expect.arrayContaining([`127.0.0.1:${port}`, `mybox.lan:${port}`]));
  });

  test('the WebSocket handshake with a foreign Origin or Host is refused with 403', async () => {
    const login = JSON.parse((await request(`${stack.url}/local/login`, { method: 'POST', body: LOGIN })).body);
    const url = `${stack.wsUrl}?token=${encodeURIComponent(login.idToken)}`;
    const refused = async (headers: Record<string, string>) => {
      const err = await connect(url, { headers }).then(() => undefined, (e) => e);
      expect(err).toBeInstanceOf(HandshakeRefused);
      expect((err as HandshakeRefused).status).toBe(403);
      return JSON.parse((err as HandshakeRefused).body).message as string;
    };
    expect(await refused({ origin: 'http://evil.example' })).toMatch(/Origin/);
    expect(await refused({ host: `evil.example:${port}` })).toMatch(/Host/);
    // The same token from the stack's own page opens the socket.
    const ok = await connect(url, { headers: { origin: `http://127.0.0.1:${port}` } });
    ok.send({ action: 'ping' });
    expect(await ok.next((f) => f.type === 'pong')).toMatchObject({ type: 'pong' });
    ok.ws.close();
  });

  test('the internal @connections endpoint refuses a rebound Host too', async () => {
    const endpoint = stack.environment.chat.aws.connectionsEndpoint!;
    const r = await request(`${endpoint}/@connections/abc`, { host: `evil.example:${new URL(endpoint).port}` });
    expect(r.status).toBe(403);
  });
});

test('the CLI refuses an --allow-host that is not a host name, with a one-line error', async () => {
  const r = await runCli(['dev', '--allow-host', 'http://mybox.lan'], { cwd: os.tmpdir(), env: offlineEnv(os.tmpdir()) });
  expect(r.code).not.toBe(0);
  expect(r.stderr).toMatch(/--allow-host.*must be a host name or IP address/);
});
