import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { MemoryStore } from './memory/memory-store';
import type { Store } from '../../src/core/ports/store';
import { ConversationStore } from '../../src/core/store';
import { LOCAL_CREDENTIALS, LOCAL_REGION, startDynamo } from '../../src/local/dynamo';

/** A store under a contract test, and how to let it go. */
export interface StoreSubject { store: Store; close(): Promise<void> }

/** The two stores the contract tests hold to the same expectations: in memory, and DynamoDB (real SDK) on dynalite. */
export const STORE_SUBJECTS: Array<[string, () => Promise<StoreSubject>]> = [
  ['in memory', async () => ({ store: new MemoryStore(), close: async () => {} })],
  ['DynamoDB (dynalite)', async () => {
    const db = await startDynamo();
    const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: db.endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS }),
      { marshallOptions: { removeUndefinedValues: true } });
    return { store: new ConversationStore(doc, db.tableName), close: async () => { doc.destroy(); await db.close(); } };
  }],
];
