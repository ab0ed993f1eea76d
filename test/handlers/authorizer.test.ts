import { createHmac } from 'node:crypto';
import { authModeFromEnv as authConfigFromEnv } from '../../src/contract/env';
import { createTokenVerifier } from '../../src/core/token-verifier';
import { handler } from '../../src/handlers/authorizer.lambda';
import { makeKey, serveJwks, signJwt, TestKey } from '../support/jwt';

const ISSUER = 'http://127.0.0.1/local';
const AUDIENCE = 'chatbot-local';
const METHOD_ARN = 'arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/$connect';
let key: TestKey;
let jwks: Awaited<ReturnType<typeof serveJwks>>;

const now = () => Math.floor(Date.now() / 1000);
const claims = (extra: Record<string, unknown> = {}) => ({ sub: 'user-123', iss: ISSUER, aud: AUDIENCE, iat: now(), exp: now() + 600, token_use: 'id', ...extra });
const event = (token?: string) => ({
  type: 'REQUEST', methodArn: METHOD_ARN, queryStringParameters: token === undefined ? {} : { token },
} as any);

beforeAll(async () => {
  key = makeKey('key-1');
  jwks = await serveJwks([key]);
  Object.assign(process.env, { JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE, JWKS_URI: jwks.uri, POWERTOOLS_LOG_LEVEL: 'ERROR' });
});
afterAll(async () => { await jwks.close(); });

describe('authorizer (generic RS256 mode, JWKS on loopback)', () => {
  test('a valid ID token is allowed on the $connect method ARN with principalId = sub', async () => {
    const r = await handler(event(signJwt(key, claims())));
    expect(r.principalId).toBe('user-123');
    expect(r.policyDocument.Statement).toEqual([{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: METHOD_ARN }]);
  });

  test('a missing token is refused with Unauthorized (401)', async () => {
    await expect(handler(event())).rejects.toThrow('Unauthorized');
    await expect(handler(event(''))).rejects.toThrow('Unauthorized');
  });

  test('a forged token (signed by another key under the same kid) is refused', async () => {
    const forger = makeKey('key-1');
    await expect(handler(event(signJwt(forger, claims())))).rejects.toThrow('Unauthorized');
  });

  test('a token whose payload was altered after signing is refused', async () => {
    const [h, , s] = signJwt(key, claims()).split('.');
    const altered = Buffer.from(JSON.stringify(claims({ sub: 'someone-else' }))).toString('base64url');
    await expect(handler(event(`${h}.${altered}.${s}`))).rejects.toThrow('Unauthorized');
  });

  test('an expired token is refused', async () => {
    await expect(handler(event(signJwt(key, claims({ iat: now() - 7200, exp: now() - 60 }))))).rejects.toThrow('Unauthorized');
  });

  test('a wrong-audience token is refused', async () => {
    await expect(handler(event(signJwt(key, claims({ aud: 'another-app' }))))).rejects.toThrow('Unauthorized');
  });

  test('a wrong-issuer token is refused', async () => {
    await expect(handler(event(signJwt(key, claims({ iss: 'http://evil.example' }))))).rejects.toThrow('Unauthorized');
  });

  test('an unsigned (alg none) or malformed token is refused', async () => {
    const none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(JSON.stringify(claims())).toString('base64url')}.`;
    await expect(handler(event(none))).rejects.toThrow('Unauthorized');
    await expect(handler(event('not.a.jwt'))).rejects.toThrow('Unauthorized');
  });

  test('a token without an expiry is refused: every ID token must expire', async () => {
    const { exp: _exp, ...noExp } = claims();
    await expect(handler(event(signJwt(key, noExp)))).rejects.toThrow('Unauthorized');
  });

  test('a token with no sub is refused, and a token whose sub is not a string never becomes a principal', async () => {
    const { sub: _sub, ...noSub } = claims();
    await expect(handler(event(signJwt(key, noSub)))).rejects.toThrow('Unauthorized');
    await expect(handler(event(signJwt(key, claims({ sub: 42 }))))).rejects.toThrow('Unauthorized');
  });

  test('algorithm confusion is refused: HS256 keyed with the public key, and RS256 signed over another header', async () => {
    const pem = key.publicKey.export({ format: 'pem', type: 'spki' }).toString();
    const head = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT', kid: key.kid })).toString('base64url');
    const body = Buffer.from(JSON.stringify(claims())).toString('base64url');
    const mac = createHmac('sha256', pem).update(`${head}.${body}`).digest('base64url');
    await expect(handler(event(`${head}.${body}.${mac}`))).rejects.toThrow('Unauthorized');
    const [, b, sig] = signJwt(key, claims()).split('.');
    const otherHead = Buffer.from(JSON.stringify({ alg: 'RS512', typ: 'JWT', kid: key.kid })).toString('base64url');
    await expect(handler(event(`${otherHead}.${b}.${sig}`))).rejects.toThrow('Unauthorized');
  });

  test('a sub the sendMessage request template cannot carry (quote, backslash, control character, over 255 chars) is refused', async () => {
    for (const sub of ['a"b', 'a\\b', 'a\nb', 'x'.repeat(256)]) {
      await expect(handler(event(signJwt(key, claims({ sub }))))).rejects.toThrow('Unauthorized');
    }
    for (const sub of ['auth0|5f7c8ec7c33c6c004bbafe82', '사용자-1', 'x'.repeat(255)]) {
      expect((await handler(event(signJwt(key, claims({ sub }))))).principalId).toBe(sub);
    }
  });

  test('an access token is refused where an ID token is required', async () => {
    await expect(handler(event(signJwt(key, claims({ token_use: 'access' }))))).rejects.toThrow('Unauthorized');
  });
});

describe('authorizer configuration', () => {
  test('Cognito mode needs a user pool id and a client id', () => {
    expect(authConfigFromEnv({ USER_POOL_ID: 'eu-west-1_AbCd123', CLIENT_ID: 'client' })).toEqual({ mode: 'cognito', userPoolId: 'eu-west-1_AbCd123', clientId: 'client' });
    expect(() => authConfigFromEnv({ USER_POOL_ID: 'eu-west-1_AbCd123' })).toThrow(/both USER_POOL_ID and CLIENT_ID/);
    expect(() => authConfigFromEnv({ USER_POOL_ID: 'not-a-pool', CLIENT_ID: 'c' })).toThrow(/not a user pool id/);
  });

  test('both modes at once, or none, is a configuration error', () => {
    expect(() => authConfigFromEnv({ USER_POOL_ID: 'eu-west-1_AbCd123', CLIENT_ID: 'c', JWT_ISSUER: 'x' })).toThrow(/not both/);
    expect(() => authConfigFromEnv({})).toThrow(/needs USER_POOL_ID/);
  });

  test('generic mode needs all three values and https for a non-loopback JWKS', () => {
    expect(() => authConfigFromEnv({ JWT_ISSUER: 'i', JWT_AUDIENCE: 'a' })).toThrow(/JWKS_URI/);
    expect(() => authConfigFromEnv({ JWT_ISSUER: 'i', JWT_AUDIENCE: 'a', JWKS_URI: 'http://example.com/jwks.json' })).toThrow(/https/);
    expect(authConfigFromEnv({ JWT_ISSUER: 'i', JWT_AUDIENCE: 'a', JWKS_URI: 'https://example.com/jwks.json' }).mode).toBe('generic');
  });

  test('a Cognito verifier refuses a token that is not a Cognito ID token of its pool', async () => {
    const v = createTokenVerifier({ mode: 'cognito', userPoolId: 'eu-west-1_AbCd123', clientId: 'client' });
    await expect(v.verify(signJwt(key, claims()))).rejects.toThrow();
    await expect(v.verify('garbage')).rejects.toThrow();
  });
});
