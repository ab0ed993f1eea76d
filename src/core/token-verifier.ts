import * as http from 'node:http';
import { Logger } from '@aws-lambda-powertools/logger';
import type { LogLevel } from '@aws-lambda-powertools/logger/types';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { CognitoJwtVerifier, JwtRsaVerifier } from 'aws-jwt-verify';
import { FetchError, JwksNotAvailableInCacheError, JwksValidationError, JwkValidationError } from 'aws-jwt-verify/error';
import { SimpleFetcher } from 'aws-jwt-verify/https';
import { SimpleJwksCache } from 'aws-jwt-verify/jwk';
import { AuthMode, isLoopbackHttp, TelemetryEnv } from '../contract/env';
import { METRICS } from '../contract/metrics';

/** How the authorizer verifies ID tokens (the contract's authorizer mode). */
export type AuthConfig = AuthMode;

/**
 * aws-jwt-verify fetches over https only; the local stack serves its JWKS over plain http on
 * loopback, which this fetcher allows (and nothing else: other URIs go to the library's fetcher).
 */
class LoopbackFetcher extends SimpleFetcher {
  public async fetch(uri: string, requestOptions?: Record<string, unknown>, data?: ArrayBuffer): Promise<ArrayBuffer> {
    if (!isLoopbackHttp(uri)) return super.fetch(uri, requestOptions, data);
    return new Promise((resolve, fail) => {
      // Failures are the library's FetchError, as its own https fetcher reports them.
      const reject = (err: Error) => fail(err instanceof FetchError ? err : new FetchError(uri, err.message));
      const req = http.get(uri, { timeout: 3000 }, (res) => {
        if (res.statusCode !== 200) { res.resume(); reject(new Error(`status ${res.statusCode}`)); return; }
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => { const b = Buffer.concat(chunks); resolve(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer); });
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error('timed out')));
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

/**
 * True when verification could not be done (the JWKS is unreachable or not a valid key set): a
 * failure of the authorizer, not a verdict on the token. Everything else a verifier throws is a
 * refused token (bad signature, expired, unknown key id, wrong issuer/audience/use).
 */
export function isVerifierFailure(err: unknown): boolean {
  return err instanceof FetchError || err instanceof JwksNotAvailableInCacheError
    || err instanceof JwksValidationError || err instanceof JwkValidationError;
}

/** What the authorizer tells the operator. */
export interface AuthorizerTelemetry {
  /** A missing, bad or expired token was refused (the `TokensRejected` metric; not an error). */
  rejected(reason: string): void;
  /** The token could not be checked at all (e.g. the JWKS is unreachable): a real failure. */
  failed(error: Error): void;
}

/** Refusals logged at INFO and counted in `TokensRejected`; failures logged as errors. */
export function powertoolsAuthorizerTelemetry(env: TelemetryEnv, options: { metrics?: boolean } = {}): AuthorizerTelemetry {
  const logger = new Logger({ serviceName: env.serviceName, logLevel: env.logLevel as LogLevel });
  const metrics = new Metrics({ serviceName: env.serviceName, namespace: env.namespace });
  return {
    rejected: (reason) => {
      logger.info('token refused', { reason });
      // A single metric is written at once: the invocation is about to fail.
      if (options.metrics ?? true) metrics.singleMetric().addMetric(METRICS.tokensRejected, MetricUnit.Count, 1);
    },
    failed: (error) => logger.error('token verification failed', { error: error.name, detail: error.message }),
  };
}
