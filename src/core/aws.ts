import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * SDK clients built from the environment. Handlers create them on first use, not at import, so
 * the local stack can import a handler and set its env vars afterwards.
 */

const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

function isLocal(env: NodeJS.ProcessEnv): boolean {
  return env.CHATBOT_LOCAL === '1';
}

function region(env: NodeJS.ProcessEnv): string {
  return env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1';
}

/** The DynamoDB document client (DYNAMODB_ENDPOINT honoured). */
export function createDocumentClient(env: NodeJS.ProcessEnv = process.env): DynamoDBDocumentClient {
  const endpoint = env.DYNAMODB_ENDPOINT || undefined;
  const client = new DynamoDBClient({
    region: region(env),
    endpoint,
    ...(isLocal(env) && endpoint ? { credentials: LOCAL_CREDENTIALS } : {}),
  });
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

/**
 * The Bedrock Runtime client. SDK retries are off: throttling is retried by the model adapter with
 * its own backoff, which must stay within the reply's lease and never double a started stream.
 */
export function createBedrockClient(env: NodeJS.ProcessEnv = process.env): BedrockRuntimeClient {
  const endpoint = env.BEDROCK_ENDPOINT || undefined;
  return new BedrockRuntimeClient({
    region: region(env),
    endpoint,
    maxAttempts: 1,
    ...(isLocal(env) && endpoint ? { credentials: LOCAL_CREDENTIALS } : {}),
  });
}

/** `@connections` clients, one per endpoint (a Lambda may serve several stages). */
export class ConnectionsClients {
  private readonly clients = new Map<string, ApiGatewayManagementApiClient>();
  constructor(private readonly env: NodeJS.ProcessEnv = process.env) {}

  /** The client for `CONNECTIONS_ENDPOINT`, else `https://{domainName}/{stage}`. */
  public get(domainName: string | undefined, stage: string | undefined): ApiGatewayManagementApiClient {
    const endpoint = this.env.CONNECTIONS_ENDPOINT || `https://${domainName}/${stage}`;
    let c = this.clients.get(endpoint);
    if (!c) {
      c = new ApiGatewayManagementApiClient({
        region: region(this.env),
        endpoint,
        ...(isLocal(this.env) && this.env.CONNECTIONS_ENDPOINT ? { credentials: LOCAL_CREDENTIALS } : {}),
      });
      this.clients.set(endpoint, c);
    }
    return c;
  }
}
