import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { JwtVerifier } from 'aws-jwt-verify';
import { DEFAULT_TOKEN_TTL_SECONDS, LOCAL_CLIENT_ID, LocalAuth, MAX_USERNAME_BYTES, SIGNING_KEY_FILE, subForUsername } from '../../src/local/local-sign-in';

const ISSUER = 'http://127.0.0.1:8787/local';

function verifierFor(auth: LocalAuth) {
  const v = JwtVerifier.create({ issuer: ISSUER, audience: LOCAL_CLIENT_ID, jwksUri: `${ISSUER}/.well-known/jwks.json` });
  v.cacheJwks(auth.jwks as any);
  return v;
}

describe('local sign-in', () => {
  test('issues an RS256 ID token that aws-jwt-verify accepts against the published JWKS', async () => {
    const auth = new LocalAuth({ issuer: ISSUER });
    const r = auth.login({ username: '앨리스' });
    if (!r.ok) throw new Error(r.message);
    const payload = await verifierFor(auth).verify(r.idToken);
    expect(payload).toMatchObject({ 'sub': subForUsername('앨리스'), 'token_use': 'id', 'iss': ISSUER, 'aud': LOCAL_CLIENT_ID, 'cognito:username': '앨리스' });
    expect((payload.exp as number) - (payload.iat as number)).toBe(DEFAULT_TOKEN_TTL_SECONDS);
    expect(DEFAULT_TOKEN_TTL_SECONDS).toBe(8 * 60 * 60);
  });

  test('the same username is the same sub; different usernames are different subs', () => {
    const a = new LocalAuth({ issuer: ISSUER });
    const b = new LocalAuth({ issuer: ISSUER });
    const ra = a.login({ username: 'alice' });
    const rb = b.login({ username: '  alice ' });
    const rc = a.login({ username: 'bob' });
    expect(ra.ok && rb.ok && rc.ok).toBe(true);
    if (ra.ok && rb.ok && rc.ok) {
      expect(ra.sub).toBe(rb.sub);
      expect(ra.sub).not.toBe(rc.sub);
      expect(ra.sub).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$/);
    }
  });

  test('a token signed by another key, or expired, is rejected', async () => {
    const auth = new LocalAuth({ issuer: ISSUER });
    const other = new LocalAuth({ issuer: ISSUER });
    const forged = other.login({ username: 'alice' });
    if (!forged.ok) throw new Error('login failed');
    await expect(verifierFor(auth).verify(forged.idToken)).rejects.toThrow();
    const expired = auth.sign('sub-1', 'alice', { exp: Math.floor(Date.now() / 1000) - 10 });
    await expect(verifierFor(auth).verify(expired)).rejects.toThrow(/expired/i);
  });

  test('the signing key is generated once in the data dir and reused, so tokens survive a restart', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'auth-'));
    try {
      const first = new LocalAuth({ dataDir: dir, issuer: ISSUER });
      expect(fs.existsSync(path.join(dir, SIGNING_KEY_FILE))).toBe(true);
      expect((fs.statSync(path.join(dir, SIGNING_KEY_FILE)).mode % 0o100).toString(8)).toBe('0'); // no group/other bits
      const r = first.login({ username: 'alice' });
      if (!r.ok) throw new Error('login failed');
      const second = new LocalAuth({ dataDir: dir, issuer: ISSUER });
      expect(second.jwks).toEqual(first.jwks);
      await expect(verifierFor(second).verify(r.idToken)).resolves.toMatchObject({ sub: r.sub });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test(`a username of ${MAX_USERNAME_BYTES} UTF-8 bytes is accepted and one byte more is refused`, () => {
    const auth = new LocalAuth({ issuer: ISSUER });
    const edge = '가'.repeat(42) + 'ab'; // 42 × 3 + 2 = 128 bytes
    expect(Buffer.byteLength(edge)).toBe(MAX_USERNAME_BYTES);
    expect(auth.login({ username: edge }).ok).toBe(true);
    const over = auth.login({ username: `${edge}c` });
    expect(over).toMatchObject({ ok: false, status: 400 });
  });

  test('missing, empty and control-character usernames are refused with 400', () => {
    const auth = new LocalAuth({ issuer: ISSUER });
    for (const body of [{}, { username: 5 }, { username: '   ' }, { username: 'a\nb' }, null, 'alice']) {
      expect(auth.login(body)).toMatchObject({ ok: false, status: 400 });
    }
  });
});
