import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { awsFromEnv } from '../../src/contract/env';
import { BedrockModel } from '../../src/core/adapters/bedrock-model';
import { ConnectionOutbox } from '../../src/core/adapters/connections-outbox';
import { createBedrockClient, createDocumentClient } from '../../src/core/aws';
import { ChatService } from '../../src/core/chat';
import { chatConfigFromEnv } from '../../src/core/config';
import type { Clock } from '../../src/core/ports/clock';
import { ConversationStore } from '../../src/core/store';
import { RecordingSink, startConnectionsServer } from '../../src/local/connections-server';
import { LOCAL_CREDENTIALS, LOCAL_REGION, startDynamo } from '../../src/local/dynamo';
import { ScriptedBrain, startModelServer } from '../../src/local/model-server';

/** The real emulators a runtime test talks to, with the env vars the handlers read already set. */
export interface Emulators {
  sink: RecordingSink;
  brain: ScriptedBrain;
  env: Record<string, string>;
  store: ConversationStore;
  /** The table's own client, for a test that must write or read an item as it is. */
  doc: DynamoDBDocumentClient;
  connections: ApiGatewayManagementApiClient;
  close(): Promise<void>;
}

/**
 * Starts dynalite, the @connections endpoint and the model server, and sets process.env for the
 * `*.lambda.ts` handlers, which read it once, on their first event: one set of emulators per test file.
 */
export async function startEmulators(extraEnv: Record<string, string> = {}): Promise<Emulators> {
  const db = await startDynamo();
  const sink = new RecordingSink();
  const conn = await startConnectionsServer(sink);
  const brain = new ScriptedBrain();
  const model = await startModelServer(brain);
  const env: Record<string, string> = {
    TABLE_NAME: db.tableName,
    MODEL_ID: 'anthropic.claude-3-haiku-20240307-v1:0',
    DYNAMODB_ENDPOINT: db.endpoint,
    BEDROCK_ENDPOINT: model.endpoint,
    CONNECTIONS_ENDPOINT: conn.endpoint,
    CHATBOT_LOCAL: '1',
    AWS_REGION: LOCAL_REGION,
    POWERTOOLS_METRICS_NAMESPACE: 'Test',
    POWERTOOLS_LOG_LEVEL: 'ERROR',
    POWERTOOLS_METRICS_DISABLED: 'true',
    ...extraEnv,
  };
  Object.assign(process.env, env);
  const doc = createDocumentClient(awsFromEnv(env));
  const connections = new ApiGatewayManagementApiClient({ endpoint: conn.endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  return {
    sink,
    brain,
    env,
    connections,
    doc,
    store: new ConversationStore(doc, db.tableName),
    close: async () => {
      doc.destroy();
      connections.destroy();
      await model.close();
      await conn.close();
      await db.close();
    },
  };
}

/** A ChatService over the emulators with a chosen clock (for model time that runs fast). */
export function chatService(em: Emulators, clock?: Clock, envOverrides: Record<string, string> = {}): { service: ChatService; close(): void } {
  const env = { ...em.env, ...envOverrides };
  const bedrock = createBedrockClient(awsFromEnv(env));
  const service = new ChatService({ config: chatConfigFromEnv(env), store: em.store, model: new BedrockModel(bedrock), clock });
  return { service, close: () => bedrock.destroy() };
}

/** An outbox to a recorded connection. */
export function outbox(em: Emulators, connectionId: string): ConnectionOutbox {
  return new ConnectionOutbox(em.connections, connectionId);
}

export { id } from './ids';

/** A WebSocket route event as API Gateway (or the async template) delivers it. */
export function wsEvent(routeKey: string, user: string | undefined, connectionId: string, body?: string | Record<string, unknown>) {
  return {
    requestContext: {
      routeKey,
      connectionId,
      domainName: 'example.execute-api.us-east-1.amazonaws.com',
      stage: 'prod',
      ...(user ? { authorizer: { principalId: user } } : {}),
    },
    body,
  };
}
