/**
 * The handlers' dependencies built from a typed environment with the real adapters (SDK clients,
 * Powertools). The `*.lambda.ts` files pass `*FromEnv(process.env)`; the local stack passes the
 * environment objects it builds itself, so two stacks in one process never share anything.
 */
import type { ChatHandlerDeps } from './chat';
import type { HistoryHandlerDeps } from './history';
import type { ChatEnv, HistoryEnv } from '../contract/env';
import { BedrockModel } from '../core/adapters/bedrock-model';
import { ConnectionOutbox } from '../core/adapters/connections-outbox';
import { powertoolsTelemetry, PowertoolsOptions } from '../core/adapters/powertools-telemetry';
import { ConnectionsClients, createBedrockClient, createDocumentClient } from '../core/aws';
import { ChatService } from '../core/chat';
import { chatConfig } from '../core/config';
import { HistoryService } from '../core/history';
import type { Telemetry } from '../core/ports/telemetry';
import { ConversationStore } from '../core/store';

/** How the handlers report (deployed: Powertools with EMF). */
export type WiringOptions = PowertoolsOptions;

/** Dependencies plus the release of the clients behind them. */
export type Wired<T> = T & { close(): void };

/** The chat handler's dependencies for `env`. */
export function chatDeps(env: ChatEnv, options: WiringOptions = {}): Wired<ChatHandlerDeps> {
  const telemetry: Telemetry = powertoolsTelemetry(env.telemetry, options);
  const doc = createDocumentClient(env.aws);
  const bedrock = createBedrockClient(env.aws);
  const connections = new ConnectionsClients(env.aws);
  const store = new ConversationStore(doc, env.tableName);
  const service = new ChatService({ config: chatConfig(env), store, model: new BedrockModel(bedrock), telemetry });
  return {
    service,
    telemetry,
    outbox: (t) => new ConnectionOutbox(connections.get(t.domainName, t.stage), t.connectionId, telemetry),
    close: () => {
      doc.destroy();
      bedrock.destroy();
      connections.destroy();
    },
  };
}

/** The history handler's dependencies for `env`. */
export function historyDeps(env: HistoryEnv, options: WiringOptions = {}): Wired<HistoryHandlerDeps> {
  const doc = createDocumentClient(env.aws);
  return {
    service: new HistoryService(new ConversationStore(doc, env.tableName)),
    telemetry: powertoolsTelemetry(env.telemetry, options),
    close: () => doc.destroy(),
  };
}
