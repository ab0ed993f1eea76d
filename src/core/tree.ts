/**
 * The conversation tree's walks over the tree port (docs/TABLE.md §8, docs/PROTOCOL.md §13):
 * placing a new turn, reading the active path (pages and the model's history window) in
 * O(page) / O(window) reads whatever the number of branches, attaching a stored turn, and
 * switching the active leaf. Messages stored before the tree (no `parentId`) are one linear
 * path in sort-key order, read by bounded queries.
 */
import { MAX_VERSIONS } from '../contract/protocol';
import { ANCESTOR_KEYS, childAncestors, idOfSk, MAX_WALK_STEPS, nextChild, versionsOf } from './domain/tree';
import type { TurnRef } from './ports/store';
import type { TreeNode, TreeNodes, TreeRoot, TurnPlace } from './ports/tree';
import { messageSk, messageTime } from './store/item-keys';

/** A message stored before the tree. */
const legacy = (n: TreeNode) => n.parentId === undefined;

/** The user message's sort key of a turn (a regenerate's is older than its reply). */
const userSkOf = (turn: TurnRef) => messageSk(turn.tree?.userT ?? turn.t, 'user', turn.messageId);
const replySkOf = (turn: TurnRef) => messageSk(turn.t, 'reply', turn.replyId);

/**
 * Walks a path up from a message towards the root, newest first: the keys of a message's
 * ancestor list are read in one BatchGetItem, then the farthest one's list continues; past a
 * legacy message the rest is the partition's older messages, by query.
 */
export class PathWalk {
  /** The ancestors of a message known by its ancestor list (a turn's user message: the window). */
  public static fromKeys(tree: TreeNodes, user: string, conversationId: string, anc: readonly string[]): PathWalk {
    const w = new PathWalk(tree, user, conversationId);
    w.pending = [...anc];
    w.done = anc.length === 0;
    return w;
  }

  /** The path from `node` up (`node` included when `inclusive`). */
  public static fromNode(tree: TreeNodes, user: string, conversationId: string, node: TreeNode, inclusive: boolean): PathWalk {
    const w = new PathWalk(tree, user, conversationId);
    w.last = node;
    if (inclusive) w.first = node;
    return w;
  }

  /** The whole legacy conversation, newest first. */
  public static legacyTop(tree: TreeNodes, user: string, conversationId: string): PathWalk {
    const w = new PathWalk(tree, user, conversationId);
    w.fromTop = true;
    return w;
  }

  private pending: string[] = [];
  private last: TreeNode | undefined;
  private done = false;
  /** The walk starts at the top of a conversation that has no tree (legacy only). */
  private fromTop = false;
  /** The message the walk starts with, when it is included. */
  private first: TreeNode | undefined;

  private constructor(private readonly tree: TreeNodes, private readonly user: string, private readonly conversationId: string) {}

  /** Up to `n` more messages, newest first; fewer only at the root. */
  public async take(n: number): Promise<TreeNode[]> {
    const out: TreeNode[] = [];
    if (this.first) {
      out.push(this.first);
      this.first = undefined;
    }
    while (out.length < n && !this.done) {
      if (this.pending.length === 0) {
        const last = this.last;
        if (this.fromTop || (last && legacy(last))) {
          const want = n - out.length;
          const older = await this.tree.before(this.user, this.conversationId, this.fromTop ? undefined : last!.sk, want);
          this.fromTop = false;
          out.push(...older);
          if (older.length < want) this.done = true;
          if (older.length) this.last = older[older.length - 1];
          continue;
        }
        if (!last?.anc?.length) { this.done = true; break; }
        this.pending = [...last.anc];
      }
      const keys = this.pending.splice(0, n - out.length);
      const items = await this.tree.get(this.user, this.conversationId, keys);
      out.push(...items);
      // A missing ancestor (removed concurrently): the path ends there.
      if (items.length < keys.length) { this.done = true; break; }
      this.last = items[items.length - 1];
    }
    return out;
  }
}

/** Why a turn cannot be placed. */
export type PlaceRefusal = 'missing' | 'full';

/** The ancestors of `node` as a child lists them after it (its own list, or the legacy messages before it). */
async function ancestorsOf(tree: TreeNodes, user: string, conversationId: string, node: TreeNode): Promise<string[]> {
  if (!legacy(node)) return node.anc ?? [];
  return (await tree.before(user, conversationId, node.sk, ANCESTOR_KEYS - 1)).map((n) => n.sk);
}

/** The children a legacy item (or a root without a list) has implicitly: its legacy successor. */
async function implicitKids(tree: TreeNodes, user: string, conversationId: string, node: TreeNode | undefined,
  root: TreeRoot | undefined): Promise<string[]> {
  // A root without a list is a legacy conversation's: the tree lists its first message from its first turn on.
  if (node ? node.kids || !legacy(node) : root?.kids) return [];
  const next = await tree.after(user, conversationId, node?.sk);
  return next && legacy(next) ? [next.sk] : [];
}

/**
 * Where a new user message goes: after `parentId` (a reply of this conversation, or the
 * conversationId for the root), or after the active leaf when absent. `root` is the
 * conversation's tree attributes (undefined for a conversation this call creates).
 */
export async function placeMessage(tree: TreeNodes, user: string, conversationId: string, root: TreeRoot | undefined,
  created: boolean, parentId?: string): Promise<TurnPlace | PlaceRefusal> {
  if (created) return { parentId: conversationId, anc: [], init: [] };
  let parent: TreeNode | undefined;
  if (parentId === undefined) {
    parent = root?.leafSk ? (await tree.get(user, conversationId, [root.leafSk]))[0] : undefined;
    parent ??= (await tree.before(user, conversationId, undefined, 1))[0];
  } else if (parentId !== conversationId) {
    parent = await tree.find(user, conversationId, parentId);
    if (!parent || parent.role !== 'assistant') return 'missing';
  }
  const siblings = parent ? parent.kids : root?.kids;
  if ((siblings?.length ?? 0) >= MAX_VERSIONS) return 'full';
  const init = await implicitKids(tree, user, conversationId, parent, root);
  if (init.length + (siblings?.length ?? 0) >= MAX_VERSIONS) return 'full';
  return {
    parentId: parent?.messageId ?? conversationId,
    ...(parent ? { parentSk: parent.sk } : {}),
    anc: parent ? childAncestors(parent, await ancestorsOf(tree, user, conversationId, parent)) : [],
    init,
  };
}

/** Where a regenerated reply goes: below the user message `userMessageId`, with its text. */
export async function placeReply(tree: TreeNodes, user: string, conversationId: string,
  userMessageId: string): Promise<{ place: TurnPlace; text: string; attachmentIds?: string[] } | PlaceRefusal> {
  const node = await tree.find(user, conversationId, userMessageId);
  if (!node || node.role !== 'user') return 'missing';
  const init = await implicitKids(tree, user, conversationId, node, undefined);
  if ((node.kids?.length ?? 0) + init.length >= MAX_VERSIONS) return 'full';
  const anc = await ancestorsOf(tree, user, conversationId, node);
  const parentSk = anc[0];
  return {
    text: node.text,
    ...(node.attachments?.length ? { attachmentIds: node.attachments.map((a) => a.attachmentId) } : {}),
    place: {
      parentId: node.parentId ?? (parentSk ? idOfSk(parentSk) : conversationId),
      ...(parentSk ? { parentSk } : {}),
      anc,
      init,
      userT: messageTime(node.sk),
    },
  };
}

/**
 * The link a tree turn adds: its new message (a regenerate's reply, else its user message) as a
 * child of its holder (the regenerated user message, else the parent; `holderSk` undefined is the
 * root, the conversation item).
 */
function turnLink(turn: TurnRef): { holderSk: string | undefined; childSk: string } {
  const place = turn.tree!;
  return place.userT !== undefined ? { holderSk: userSkOf(turn), childSk: replySkOf(turn) } : { holderSk: place.parentSk, childSk: userSkOf(turn) };
}

/**
 * After a tree turn is stored: its new message joins its parent's children (a regenerated reply,
 * its user message's) as the active one, and its reply becomes the active leaf. `setLeaf` is
 * conditional on the turn's lease, like the lease renewal that checks the turn (turn.ts).
 */
export async function attachTurn(tree: TreeNodes, user: string, turn: TurnRef): Promise<void> {
  const { holderSk, childSk } = turnLink(turn);
  await tree.link(user, turn.conversationId, holderSk, childSk, turn.tree!.init);
  await tree.setLeaf(user, turn.conversationId, turn.replyId, replySkOf(turn), false);
}

/**
 * A new tree turn's writes after it is stored, in one round trip: the conversation item's one
 * conditional write ({@link TreeNodes.holdTurn}: the lease to `until`, the turn's model, its reply
 * as the active leaf, and the user message among the root's children when it is a root child),
 * beside the link on a parent message item. False when that write's condition failed (nothing
 * was written to the conversation item; a parent message may have been linked).
 */
export async function holdNewTurn(tree: TreeNodes, user: string, turn: TurnRef, until: number): Promise<boolean> {
  const { init } = turn.tree!;
  const { holderSk, childSk } = turnLink(turn);
  const hold = (rootChild?: { childSk: string; init: readonly string[] }) =>
    tree.holdTurn(user, turn.conversationId, turn.replyId, until, turn.modelId, replySkOf(turn), rootChild);
  // A child of the root is listed by the conversation item's own write; any other, by its holder message's.
  if (holderSk === undefined) return hold({ childSk, init });
  const [held] = await Promise.all([hold(), tree.link(user, turn.conversationId, holderSk, childSk, init)]);
  return held;
}

/** Undoes {@link attachTurn}'s link of a turn removed again (the leaf is the conversation's next turn's to set). */
export async function detachTurn(tree: TreeNodes, user: string, turn: TurnRef): Promise<void> {
  const { holderSk, childSk } = turnLink(turn);
  await tree.unlink(user, turn.conversationId, holderSk, childSk);
}

/** A message of a page with what the tree says about it. */
export interface PathMessage {
  node: TreeNode;
  parentId: string;
  siblings?: readonly string[];
}

/**
 * One page of the active path, newest first: from the active leaf, or before the cursor's
 * message. One more message than `limit` is read: the parent of the oldest, for its versions.
 */
export async function activePage(tree: TreeNodes, user: string, conversationId: string, root: TreeRoot, limit: number,
  cursor?: string): Promise<{ items: PathMessage[]; more: boolean }> {
  let walk: PathWalk;
  if (cursor !== undefined) {
    const at = tree.cursorSk(user, conversationId, cursor);
    const node = (await tree.get(user, conversationId, [at]))[0];
    // A cursor of a legacy query (or of a message gone meanwhile) continues in sort-key order.
    walk = PathWalk.fromNode(tree, user, conversationId, node ?? ({ sk: at } as TreeNode), false);
  } else if (root.leafSk) {
    const leaf = (await tree.get(user, conversationId, [root.leafSk]))[0];
    walk = leaf ? PathWalk.fromNode(tree, user, conversationId, leaf, true) : PathWalk.legacyTop(tree, user, conversationId);
  } else {
    walk = PathWalk.legacyTop(tree, user, conversationId);
  }
  const nodes = await walk.take(limit + 1);
  const items = nodes.slice(0, limit).map((node, i): PathMessage => {
    const parent = nodes[i + 1];
    const parentId = node.parentId ?? parent?.messageId ?? conversationId;
    const siblings = parentId === conversationId ? root.kids : parent?.kids;
    return { node, parentId, ...(siblings ? { siblings } : {}) };
  });
  return { items, more: nodes.length > limit };
}

/** The versions of a page message (PROTOCOL §13). */
export function pageVersions(m: PathMessage) {
  return versionsOf(m.node.sk, m.siblings);
}

/**
 * Makes the active path go through `messageId`: below it, each message's active (or newest)
 * child down to a leaf; the message becomes its parent's active child. The caller holds the
 * conversation's lease as `holder`; the leaf is set and the lease given back in one write.
 * Answers the leaf's id, or 'missing' (no such message) / 'busy' (the lease was lost).
 */
export async function switchActive(tree: TreeNodes, user: string, conversationId: string, messageId: string,
  holder: string): Promise<{ leafId: string } | 'missing' | 'busy'> {
  const chosen = await tree.find(user, conversationId, messageId);
  if (!chosen) return 'missing';
  let leaf = chosen;
  for (let step = 0; step < MAX_WALK_STEPS; step++) {
    const childSk = nextChild(leaf);
    let child: TreeNode | undefined;
    if (childSk) {child = (await tree.get(user, conversationId, [childSk]))[0];} else if (legacy(leaf)) {
      const next = await tree.after(user, conversationId, leaf.sk);
      child = next && legacy(next) ? next : undefined;
    }
    if (!child) break;
    leaf = child;
  }
  const parentSk = legacy(chosen) ? (await tree.before(user, conversationId, chosen.sk, 1))[0]?.sk : chosen.parentSk;
  await tree.choose(user, conversationId, parentSk, chosen.sk);
  if (!(await tree.setLeaf(user, conversationId, holder, leaf.sk, true))) return 'busy';
  return { leafId: leaf.messageId };
}
