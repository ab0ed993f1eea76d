import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AwsEnv } from '../contract/env';

/** SDK clients for a function's {@link AwsEnv}: the Region, and emulator endpoints when set. */

const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

function credentials(aws: AwsEnv, endpoint: string | undefined) {
  return aws.localCredentials && endpoint ? { credentials: LOCAL_CREDENTIALS } : {};
}

/** The DynamoDB document client. */
export function createDocumentClient(aws: AwsEnv): DynamoDBDocumentClient {
  const endpoint = aws.dynamodbEndpoint;
  const client = new DynamoDBClient({ region: aws.region, endpoint, ...credentials(aws, endpoint) });
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

/**
 * The Bedrock Runtime client. SDK retries are off: throttling is retried by the model adapter with
 * its own backoff, which must stay within the reply's lease and never double a started stream.
 */
export function createBedrockClient(aws: AwsEnv): BedrockRuntimeClient {
  const endpoint = aws.bedrockEndpoint;
  return new BedrockRuntimeClient({ region: aws.region, endpoint, maxAttempts: 1, ...credentials(aws, endpoint) });
}

/** `@connections` clients, one per endpoint (a Lambda may serve several stages). */
export class ConnectionsClients {
  private readonly clients = new Map<string, ApiGatewayManagementApiClient>();
  constructor(private readonly aws: AwsEnv) {}

  /** The client for the configured connections endpoint, else `https://{domainName}/{stage}`. */
  public get(domainName: string | undefined, stage: string | undefined): ApiGatewayManagementApiClient {
    const endpoint = this.aws.connectionsEndpoint || `https://${domainName}/${stage}`;
    let c = this.clients.get(endpoint);
    if (!c) {
      c = new ApiGatewayManagementApiClient({ region: this.aws.region, endpoint, ...credentials(this.aws, this.aws.connectionsEndpoint) });
      this.clients.set(endpoint, c);
    }
    return c;
  }

  /** Closes every client's sockets. */
  public destroy(): void {
    for (const c of this.clients.values()) c.destroy();
    this.clients.clear();
  }
}
