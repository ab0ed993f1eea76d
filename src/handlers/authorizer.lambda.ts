import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { authConfigFromEnv, createTokenVerifier, TokenVerifier } from '../core/auth';
import { AUTH_ENV, envCached } from '../core/env-cache';

const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME || 'authorizer' });
// Built on first use: the local stack sets the env vars after importing this module.
const getVerifier = envCached(AUTH_ENV, (): TokenVerifier => createTokenVerifier(authConfigFromEnv()));

/**
 * WebSocket `$connect` REQUEST authorizer: verifies the ID token from `?token=` and allows with
 * `principalId = sub`. Anything else throws `Unauthorized`, which API Gateway answers with 401.
 */
export async function handler(event: APIGatewayRequestAuthorizerEvent): Promise<APIGatewayAuthorizerResult> {
  const verifier = getVerifier();
  const token = event.queryStringParameters?.token;
  if (!token) throw new Error('Unauthorized');
  let sub: string;
  try {
    sub = (await verifier.verify(token)).sub;
  } catch (err) {
    logger.info('token refused', { reason: (err as Error).name });
    throw new Error('Unauthorized');
  }
  return {
    principalId: sub,
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: event.methodArn }],
    },
    context: { sub },
  };
}
