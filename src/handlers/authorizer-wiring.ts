/**
 * The authorizer's dependencies built from its typed environment: the JWT verifier and Powertools.
 * Apart from `wiring.ts` so only the authorizer bundle carries aws-jwt-verify.
 */
import type { AuthorizerDeps } from './authorizer';
import type { AuthorizerEnv } from '../contract/env';
import type { PowertoolsOptions } from '../core/adapters/powertools-telemetry';
import { createTokenVerifier, powertoolsAuthorizerTelemetry } from '../core/token-verifier';

/** The authorizer's dependencies for `env` (the JWKS is cached for the life of the verifier). */
export function authorizerDeps(env: AuthorizerEnv, options: PowertoolsOptions = {}): AuthorizerDeps {
  return { verifier: createTokenVerifier(env.auth), telemetry: powertoolsAuthorizerTelemetry(env.telemetry, options) };
}
