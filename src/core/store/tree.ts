import { QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { decodeCursor, encodeCursor } from './cursor';
import * as K from './item-keys';
import { toMessage } from './messages';
import { conditional, PK, SK, Table } from './table';
import type { TreeNode, TreeNodes, TreeRoot } from '../ports/tree';

/** Items a legacy message lookup reads per query page (keys and ids only). */
const FIND_PAGE = 500;

/**
 * Adding a child to a holder's `kids` as the active one, once (a resend storing the same turn
 * again finds it listed): the clauses link and holdTurn share. `init` is what the list starts as
 * when the holder has none yet (a legacy item's implicit children).
 */
const LINK = {
  set: 'kids = list_append(if_not_exists(kids, :init), :new), kidActive = :c',
  once: 'NOT contains(kids, :c)',
  values: (childSk: string, init: readonly string[]) => ({ ':init': init.filter((k) => k !== childSk), ':new': [childSk], ':c': childSk }),
};

/** A message item as a tree node. */
export function toNode(item: Record<string, any>): TreeNode {
  const node: TreeNode = { ...toMessage(item), sk: item[SK] };
  for (const a of ['parentId', 'parentSk', 'anc', 'kids', 'kidActive'] as const) if (item[a] !== undefined) (node as any)[a] = item[a];
  return node;
}

/**
 * The tree attributes (docs/TABLE.md §8): `parentId`, `parentSk`, `anc`, `kids`, `kidActive` on
 * message items (written with them by messages.ts, children added here), `kids`, `kidActive`
 * and `leafSk` on the conversation item, and the `X#{messageId}` index items.
 */
export class DynamoTree implements TreeNodes {
  constructor(private readonly table: Table) {}

  private pk(user: string, conversationId: string) {
    return K.messagesPk(user, conversationId);
  }

  private holderKey(user: string, conversationId: string, parentSk: string | undefined) {
    return parentSk
      ? { [PK]: this.pk(user, conversationId), [SK]: parentSk }
      : { [PK]: K.userPk(user), [SK]: K.conversationSk(conversationId) };
  }

  public async root(user: string, conversationId: string): Promise<TreeRoot | undefined> {
    const item = await this.table.get({ [PK]: K.userPk(user), [SK]: K.conversationSk(conversationId) });
    return item ? { leafSk: item.leafSk, kids: item.kids, kidActive: item.kidActive } : undefined;
  }

  public async get(user: string, conversationId: string, sks: readonly string[]): Promise<TreeNode[]> {
    if (sks.length === 0) return [];
    const pk = this.pk(user, conversationId);
    if (sks.length === 1) {
      const item = await this.table.get({ [PK]: pk, [SK]: sks[0] });
      return item ? [toNode(item)] : [];
    }
    const items = await this.table.batchGet([...new Set(sks)].map((sk) => ({ [PK]: pk, [SK]: sk })));
    const bySk = new Map(items.map((i) => [i[SK] as string, i]));
    return sks.filter((sk) => bySk.has(sk)).map((sk) => toNode(bySk.get(sk)!));
  }

  public async before(user: string, conversationId: string, beforeSk: string | undefined, limit: number): Promise<TreeNode[]> {
    const r = await this.table.doc.send(new QueryCommand({
      TableName: this.table.name,
      KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :lo AND :hi',
      ExpressionAttributeNames: { '#pk': PK, '#sk': SK },
      ExpressionAttributeValues: { ':pk': this.pk(user, conversationId), ':lo': K.MESSAGE_PREFIX, ':hi': beforeSk ?? K.MESSAGES_END },
      ScanIndexForward: false,
      ConsistentRead: true,
      // BETWEEN includes `beforeSk` itself: one more, dropped below.
      Limit: limit + 1,
    }));
    return (r.Items ?? []).filter((i) => i[SK] !== beforeSk).slice(0, limit).map(toNode);
  }

  public async after(user: string, conversationId: string, afterSk: string | undefined): Promise<TreeNode | undefined> {
    const r = await this.table.doc.send(new QueryCommand({
      TableName: this.table.name,
      KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :lo AND :hi',
      ExpressionAttributeNames: { '#pk': PK, '#sk': SK },
      ExpressionAttributeValues: { ':pk': this.pk(user, conversationId), ':lo': afterSk ?? K.MESSAGE_PREFIX, ':hi': K.MESSAGES_END },
      ConsistentRead: true,
      Limit: 2,
    }));
    const item = (r.Items ?? []).find((i) => i[SK] !== afterSk);
    return item ? toNode(item) : undefined;
  }

  public async find(user: string, conversationId: string, messageId: string): Promise<TreeNode | undefined> {
    const pk = this.pk(user, conversationId);
    const index = await this.table.get({ [PK]: pk, [SK]: K.messageIndexSk(messageId) });
    if (index) return (await this.get(user, conversationId, [index.at]))[0];
    // A legacy message has no index item: the partition's keys, read until it is found.
    for await (const items of this.table.pages({
      KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :lo AND :hi',
      ExpressionAttributeNames: { '#pk': PK, '#sk': SK },
      ExpressionAttributeValues: { ':pk': pk, ':lo': K.MESSAGE_PREFIX, ':hi': K.MESSAGES_END },
      ProjectionExpression: '#sk, messageId',
      ConsistentRead: true,
      Limit: FIND_PAGE,
    })) {
      const hit = items.find((i) => i.messageId === messageId);
      if (hit) return (await this.get(user, conversationId, [hit[SK]]))[0];
    }
    return undefined;
  }

  public async link(user: string, conversationId: string, parentSk: string | undefined, childSk: string, init: readonly string[]): Promise<void> {
    // Once: a resend storing the same turn again finds the child listed.
    await conditional(this.table.doc.send(new UpdateCommand({
      TableName: this.table.name,
      Key: this.holderKey(user, conversationId, parentSk),
      UpdateExpression: `SET ${LINK.set}`,
      ConditionExpression: `attribute_exists(#pk) AND ${LINK.once}`,
      ExpressionAttributeNames: { '#pk': PK },
      ExpressionAttributeValues: LINK.values(childSk, init),
    })));
  }

  public async unlink(user: string, conversationId: string, parentSk: string | undefined, childSk: string): Promise<void> {
    const key = this.holderKey(user, conversationId, parentSk);
    const item = await this.table.get(key);
    const kids = (item?.kids as string[] | undefined) ?? [];
    const at = kids.indexOf(childSk);
    if (at < 0) return;
    // Its only child: the item is left as it was before (no list at all).
    const remove = kids.length === 1 ? 'kids' : `kids[${at}]`;
    await conditional(this.table.doc.send(new UpdateCommand({
      TableName: this.table.name,
      Key: key,
      UpdateExpression: `REMOVE ${remove}${item!.kidActive === childSk ? ', kidActive' : ''}`,
      ConditionExpression: `kids[${at}] = :c`,
      ExpressionAttributeValues: { ':c': childSk },
    })));
  }

  public async choose(user: string, conversationId: string, parentSk: string | undefined, childSk: string): Promise<void> {
    await conditional(this.table.doc.send(new UpdateCommand({
      TableName: this.table.name,
      Key: this.holderKey(user, conversationId, parentSk),
      UpdateExpression: 'SET kidActive = :c',
      ConditionExpression: 'contains(kids, :c)',
      ExpressionAttributeValues: { ':c': childSk },
    })));
  }

  public async holdTurn(user: string, conversationId: string, holder: string, until: number, modelId: string | undefined, leafSk: string,
    rootChild?: { childSk: string; init: readonly string[] }): Promise<boolean> {
    let set = 'SET leaseUntil = :u, leafSk = :l';
    let condition = 'leaseReplyId = :me';
    const values: Record<string, unknown> = { ':u': until, ':l': leafSk, ':me': holder };
    if (modelId !== undefined) {
      set += ', modelId = :model';
      values[':model'] = modelId;
    }
    if (rootChild) {
      // As link: once, so a child is never listed twice.
      set += `, ${LINK.set}`;
      condition += ` AND ${LINK.once}`;
      Object.assign(values, LINK.values(rootChild.childSk, rootChild.init));
    }
    return conditional(this.table.doc.send(new UpdateCommand({
      TableName: this.table.name,
      Key: this.holderKey(user, conversationId, undefined),
      UpdateExpression: set,
      ConditionExpression: condition,
      ExpressionAttributeValues: values,
    })));
  }

  public async setLeaf(user: string, conversationId: string, holder: string, leafSk: string, release: boolean): Promise<boolean> {
    return conditional(this.table.doc.send(new UpdateCommand({
      TableName: this.table.name,
      Key: this.holderKey(user, conversationId, undefined),
      UpdateExpression: `SET leafSk = :l${release ? ' REMOVE leaseUntil, leaseReplyId' : ''}`,
      ConditionExpression: 'leaseReplyId = :me',
      ExpressionAttributeValues: { ':l': leafSk, ':me': holder },
    })));
  }

  public cursorSk(user: string, conversationId: string, cursor: string): string {
    return decodeCursor(cursor, { [PK]: this.pk(user, conversationId) }, { [SK]: K.MESSAGE_PREFIX })![SK] as string;
  }

  public cursorOf(user: string, conversationId: string, sk: string): string {
    return encodeCursor({ [PK]: this.pk(user, conversationId), [SK]: sk })!;
  }
}
