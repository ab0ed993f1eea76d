import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { CONNECT_TOKEN_PARAM } from '../contract/routes';
import { AuthorizerTelemetry, isVerifierFailure, TokenVerifier } from '../core/token-verifier';

export type { AuthorizerTelemetry } from '../core/token-verifier';

/** What the authorizer is built from. */
export interface AuthorizerDeps {
  readonly verifier: TokenVerifier;
  readonly telemetry: AuthorizerTelemetry;
}

/** The `$connect` authorizer Lambda handler. */
export type AuthorizerHandler = (event: APIGatewayRequestAuthorizerEvent) => Promise<APIGatewayAuthorizerResult>;

/** The failure API Gateway turns into 401 (a Deny policy would be 403). */
const UNAUTHORIZED = 'Unauthorized';

/** The longest `sub` accepted as a principal. */
export const MAX_PRINCIPAL_CHARS = 255;

/**
 * A `sub` the async request template can carry: the template writes the principal id into a JSON
 * string as it is, so a quote, a backslash or a control character would break the event.
 */
export function usablePrincipal(sub: string): boolean {
  // eslint-disable-next-line no-control-regex
  return sub.length > 0 && sub.length <= MAX_PRINCIPAL_CHARS && !/["\\\u0000-\u001f]/.test(sub);
}

/**
 * WebSocket `$connect` REQUEST authorizer: verifies the ID token from `?token=` and allows with
 * `principalId = sub`. A refused token throws `Unauthorized`, which API Gateway answers with 401,
 * and counts in `TokensRejected`; a verifier that cannot verify (JWKS unreachable) fails with its
 * own error, which API Gateway answers with 500 and the `AuthorizerErrors` alarm counts.
 */
export function createAuthorizerHandler(deps: AuthorizerDeps): AuthorizerHandler {
  return async (event) => {
    const token = event.queryStringParameters?.[CONNECT_TOKEN_PARAM];
    if (!token) {
      deps.telemetry.rejected('no token');
      throw new Error(UNAUTHORIZED);
    }
    let sub: string;
    try {
      sub = (await deps.verifier.verify(token)).sub;
    } catch (err) {
      if (isVerifierFailure(err)) {
        deps.telemetry.failed(err as Error);
        throw err;
      }
      deps.telemetry.rejected((err as Error).name);
      throw new Error(UNAUTHORIZED);
    }
    if (!usablePrincipal(sub)) {
      deps.telemetry.rejected('unusable sub');
      throw new Error(UNAUTHORIZED);
    }
    return {
      principalId: sub,
      policyDocument: {
        Version: '2012-10-17',
        Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: event.methodArn }],
      },
      context: { sub },
    };
  };
}
