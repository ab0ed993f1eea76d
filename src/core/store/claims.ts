import { PutCommand } from '@aws-sdk/lib-dynamodb';
import * as K from './item-keys';
import { conditional, NEW, PK, SK, Table, TTL } from './table';
import { CLAIM_TTL_SECONDS } from '../domain/runtime-limits';
import type { Claim, Claims } from '../ports/store';

/** sendMessage idempotency claims: one item per user and message id, expiring after CLAIM_TTL_SECONDS. */
export class DynamoClaims implements Claims {
  constructor(private readonly table: Table) {}

  private key(user: string, messageId: string) {
    return { [PK]: K.userPk(user), [SK]: K.claimSk(messageId) };
  }

  public async put(user: string, messageId: string, claim: Claim, now: number): Promise<boolean> {
    return conditional(this.table.doc.send(new PutCommand({
      TableName: this.table.name,
      Item: { ...this.key(user, messageId), ...claim, [TTL]: Math.floor(now / 1000) + CLAIM_TTL_SECONDS },
      ...NEW,
    })));
  }

  public async get(user: string, messageId: string): Promise<Claim | undefined> {
    const item = await this.table.get(this.key(user, messageId));
    if (!item) return undefined;
    const claim: Claim = {
      conversationId: item.conversationId,
      replyId: item.replyId,
      t: item.t,
      text: item.text,
      created: item.created === true,
      ...(typeof item.modelId === 'string' ? { modelId: item.modelId } : {}),
    };
    if (item.tree) claim.tree = item.tree;
    if (item.userMessageId) claim.userMessageId = item.userMessageId;
    if (Array.isArray(item.attachmentIds) && item.attachmentIds.length) claim.attachmentIds = item.attachmentIds;
    return claim;
  }

  public async delete(user: string, messageIds: readonly string[]): Promise<void> {
    await this.table.deleteKeys(messageIds.map((id) => this.key(user, id)));
  }
}
