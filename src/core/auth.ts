import * as http from 'node:http';
import { CognitoJwtVerifier, JwtRsaVerifier } from 'aws-jwt-verify';
import { SimpleFetcher } from 'aws-jwt-verify/https';
import { SimpleJwksCache } from 'aws-jwt-verify/jwk';

/** How the authorizer verifies ID tokens: a Cognito user pool, or any RS256 issuer (local stack, tests). */
export type AuthConfig =
  | { mode: 'cognito'; userPoolId: string; clientId: string }
  | { mode: 'generic'; issuer: string; audience: string; jwksUri: string };

/** Reads the authorizer's configuration; exactly one mode must be configured, completely. */
export function authConfigFromEnv(env: NodeJS.ProcessEnv = process.env): AuthConfig {
  const cognito = [env.USER_POOL_ID, env.CLIENT_ID];
  const generic = [env.JWT_ISSUER, env.JWT_AUDIENCE, env.JWKS_URI];
  const anyCognito = cognito.some(Boolean);
  const anyGeneric = generic.some(Boolean);
  if (anyCognito && anyGeneric) throw new Error('Configure either USER_POOL_ID/CLIENT_ID or JWT_ISSUER/JWT_AUDIENCE/JWKS_URI, not both');
  if (anyCognito) {
    if (!env.USER_POOL_ID || !env.CLIENT_ID) throw new Error('Cognito mode needs both USER_POOL_ID and CLIENT_ID');
    if (!/^[a-z]{2}(-[a-z]+)+-\d_[A-Za-z0-9]+$/.test(env.USER_POOL_ID)) throw new Error(`USER_POOL_ID "${env.USER_POOL_ID}" is not a user pool id`);
    return { mode: 'cognito', userPoolId: env.USER_POOL_ID, clientId: env.CLIENT_ID };
  }
  if (anyGeneric) {
    if (!env.JWT_ISSUER || !env.JWT_AUDIENCE || !env.JWKS_URI) throw new Error('Generic mode needs JWT_ISSUER, JWT_AUDIENCE and JWKS_URI');
    const u = new URL(env.JWKS_URI);
    if (u.protocol !== 'https:' && !isLoopback(u.hostname)) throw new Error('JWKS_URI must be https (plain http only on loopback)');
    return { mode: 'generic', issuer: env.JWT_ISSUER, audience: env.JWT_AUDIENCE, jwksUri: env.JWKS_URI };
  }
  throw new Error('The authorizer needs USER_POOL_ID and CLIENT_ID (or JWT_ISSUER, JWT_AUDIENCE and JWKS_URI)');
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '127.0.0.1' || host === '[::1]' || host === '::1';
}

/**
 * aws-jwt-verify fetches over https only; the local stack serves its JWKS over plain http on
 * loopback, which this fetcher allows (and nothing else: other URIs go to the library's fetcher).
 */
class LoopbackFetcher extends SimpleFetcher {
  public async fetch(uri: string, requestOptions?: Record<string, unknown>, data?: ArrayBuffer): Promise<ArrayBuffer> {
    const u = new URL(uri);
    if (u.protocol !== 'http:' || !isLoopback(u.hostname)) return super.fetch(uri, requestOptions, data);
    return new Promise((resolve, reject) => {
      const req = http.get(uri, { timeout: 3000 }, (res) => {
        if (res.statusCode !== 200) { res.resume(); reject(new Error(`JWKS fetch: status ${res.statusCode}`)); return; }
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => { const b = Buffer.concat(chunks); resolve(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer); });
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error('JWKS fetch timed out')));
      req.on('error', reject);
    });
  }
}

/** The verified identity. */
export interface Identity {
  sub: string;
  username?: string;
}

/** Verifies an ID token; rejects on anything wrong (signature, issuer, audience, expiry, token use). */
export interface TokenVerifier {
  verify(token: string): Promise<Identity>;
}

/**
 * aws-jwt-verify checks `exp` only when the token has one; an ID token without it would open
 * sockets forever, so it is refused.
 */
function requireExpiry(payload: { exp?: unknown }): void {
  if (typeof payload.exp !== 'number') throw new Error('token has no expiry');
}

/** Builds the verifier for a configuration (JWKS cached for the life of the module). */
export function createTokenVerifier(config: AuthConfig): TokenVerifier {
  if (config.mode === 'cognito') {
    const v = CognitoJwtVerifier.create({ userPoolId: config.userPoolId, clientId: config.clientId, tokenUse: 'id' });
    return {
      async verify(token) {
        const p = await v.verify(token);
        requireExpiry(p);
        return { sub: p.sub, username: typeof p['cognito:username'] === 'string' ? p['cognito:username'] : undefined };
      },
    };
  }
  const v = JwtRsaVerifier.create(
    { issuer: config.issuer, audience: config.audience, jwksUri: config.jwksUri },
    { jwksCache: new SimpleJwksCache({ fetcher: new LoopbackFetcher() }) },
  );
  return {
    async verify(token) {
      const p = await v.verify(token);
      requireExpiry(p);
      if (typeof p.sub !== 'string' || p.sub.length === 0) throw new Error('token has no sub');
      // An access token must not open a socket where an ID token is expected.
      if (p.token_use !== undefined && p.token_use !== 'id') throw new Error('not an ID token');
      return { sub: p.sub, username: typeof p.username === 'string' ? p.username : undefined };
    },
  };
}
