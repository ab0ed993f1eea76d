import type { Context } from 'aws-lambda';
import { BedrockModel } from '../core/adapters/bedrock-model';
import { ConnectionOutbox } from '../core/adapters/connections-outbox';
import { powertoolsTelemetry } from '../core/adapters/powertools-telemetry';
import { ConnectionsClients, createBedrockClient, createDocumentClient } from '../core/aws';
import { ChatService } from '../core/chat';
import { chatConfigFromEnv } from '../core/config';
import { envCached, RUNTIME_ENV } from '../core/env-cache';
import { ConversationStore } from '../core/store';

/** The parts of the API Gateway WebSocket event the chat handler reads (proxy or async template). */
interface ChatEvent {
  requestContext: {
    routeKey: string;
    connectionId: string;
    domainName?: string;
    stage?: string;
    authorizer?: { principalId?: string };
  };
  body?: string | Record<string, unknown> | null;
}

// Built on first use from the environment (the local stack sets env vars after importing us).
const getRuntime = envCached(RUNTIME_ENV, () => {
  const config = chatConfigFromEnv();
  const telemetry = powertoolsTelemetry('chat');
  const store = new ConversationStore(createDocumentClient(), config.tableName);
  const service = new ChatService({ config, store, model: new BedrockModel(createBedrockClient()), telemetry });
  return { service, connections: new ConnectionsClients(), telemetry };
});

/**
 * Routes `$connect`, `$disconnect`, `sendMessage`, `stop`, `ping` and `$default`. Everything the
 * client is told goes out through `@connections`; the route answer is only a status.
 */
export async function handler(event: ChatEvent, context?: Partial<Context>): Promise<{ statusCode: number }> {
  const route = event.requestContext.routeKey;
  if (route === '$connect' || route === '$disconnect') return { statusCode: 200 };
  const user = event.requestContext.authorizer?.principalId;
  const rt = getRuntime();
  if (!user) {
    // Cannot happen behind the authorizer; refuse rather than guess an identity.
    rt.telemetry.error('no principal on a routed frame', { route });
    return { statusCode: 401 };
  }
  const { connectionId, domainName, stage } = event.requestContext;
  const out = new ConnectionOutbox(rt.connections.get(domainName, stage), connectionId, rt.telemetry);
  const remaining = typeof context?.getRemainingTimeInMillis === 'function' ? context.getRemainingTimeInMillis() : undefined;
  await rt.service.handleFrame(user, event.body ?? '', out, { deadline: remaining !== undefined ? Date.now() + remaining : undefined });
  return { statusCode: 200 };
}
