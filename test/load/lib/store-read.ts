/**
 * Reads single items straight from dynalite, for scenario steps whose precondition is a fact of
 * the store (the generator gave the lease back) that no client frame announces.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { TABLE_SCHEMA } from '../../../src/contract/table-schema';
import { conversationSk, userPk } from '../../../src/core/store/item-keys';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../../src/local/dynamo';

/** Consistent reads of the table, bypassing the handlers (and any throttling proxy). */
export class StoreReader {
  private readonly doc: DynamoDBDocumentClient;

  constructor(endpoint: string, private readonly tableName: string) {
    this.doc = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS }));
  }

  /** The replyId holding the conversation's generation lease, or undefined when it is free. */
  public async leaseHolder(user: string, conversationId: string): Promise<string | undefined> {
    return (await this.lease(user, conversationId)).holder;
  }

  /** The conversation's lease: who holds it and until when (epoch ms, the handlers' clock). */
  public async lease(user: string, conversationId: string): Promise<{ holder?: string; until?: number }> {
    const r = await this.doc.send(new GetCommand({
      TableName: this.tableName,
      Key: { [TABLE_SCHEMA.partitionKey]: userPk(user), [TABLE_SCHEMA.sortKey]: conversationSk(conversationId) },
      ConsistentRead: true,
    }));
    const holder = r.Item?.leaseReplyId;
    const until = r.Item?.leaseUntil;
    return { holder: typeof holder === 'string' ? holder : undefined, until: typeof until === 'number' ? until : undefined };
  }

  public close(): void {
    this.doc.destroy();
  }
}
