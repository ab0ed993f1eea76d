/**
 * The handlers' dependencies built from a typed environment with the real adapters (SDK clients,
 * Powertools). The `*.lambda.ts` files pass `*FromEnv(process.env)`; the local stack passes the
 * environment objects it builds itself, so two stacks in one process never share anything.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ChatHandlerDeps } from './chat';
import type { HistoryHandlerDeps } from './history';
import { MAX_UPLOAD_BYTES_PER_DAY, MAX_UPLOADS_PER_DAY } from '../contract/attachments';
import type { AttachmentsEnv } from '../contract/attachments-env';
import type { ChatEnv, HistoryEnv } from '../contract/env';
import { BedrockModel } from '../core/adapters/bedrock-model';
import { realClock } from '../core/adapters/clock';
import { ConnectionOutbox } from '../core/adapters/connections-outbox';
import { powertoolsTelemetry, PowertoolsOptions } from '../core/adapters/powertools-telemetry';
import { createS3Client, S3Objects } from '../core/adapters/s3-objects';
import { AttachmentService } from '../core/attachments';
import { ConnectionsClients, createBedrockClient, createDocumentClient } from '../core/aws';
import { ChatService } from '../core/chat';
import { chatConfig } from '../core/config';
import { HistoryService } from '../core/history';
import type { Telemetry } from '../core/ports/telemetry';
import { ConversationStore } from '../core/store';
import { DynamoAttachments } from '../core/store/attachments';
import { Table } from '../core/store/table';

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
  const s3 = env.attachments ? createS3Client(env.aws, env.attachments.s3Endpoint) : undefined;
  const attachments = env.attachments && s3 ? attachmentService(doc, env.tableName, s3, env.attachments) : undefined;
  return {
    service: new HistoryService(new ConversationStore(doc, env.tableName), realClock, attachments),
    telemetry: powertoolsTelemetry(env.telemetry, options),
    close: () => {
      doc.destroy();
      s3?.destroy();
    },
  };
}

/** Attachments over the table and the bucket (docs/PROTOCOL.md §15). */
export function attachmentService(doc: DynamoDBDocumentClient, tableName: string, s3: S3Client, env: AttachmentsEnv): AttachmentService {
  const bound = {
    maxUploadsPerDay: env.maxUploadsPerDay ?? MAX_UPLOADS_PER_DAY,
    maxUploadBytesPerDay: env.maxUploadBytesPerDay ?? MAX_UPLOAD_BYTES_PER_DAY,
  };
  return new AttachmentService(new DynamoAttachments(new Table(doc, tableName, realClock)), new S3Objects(s3, env.bucket), bound);
}
