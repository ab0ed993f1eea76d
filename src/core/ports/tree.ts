/**
 * The conversation tree as the runtime sees it (docs/TABLE.md §8): message items addressed by
 * their sort key, with the tree attributes the tree store writes on them and on the conversation
 * item. The walks over it (active path, window, switching) are in core/tree.ts; this port only
 * reads and writes items, each call a bounded number of requests.
 */
import type { StoredMessage } from './store';

/** A message item with its place on the tree. */
export interface TreeNode extends StoredMessage {
  /** Its sort key (`M#{t}#{kind}#{id}`): how the tree addresses it. */
  sk: string;
  /** Absent on a message stored before the tree (a legacy message). */
  parentId?: string;
  /** The parent's sort key; absent for a first user message (its parent is the root) and on legacy messages. */
  parentSk?: string;
  /** Sort keys of its nearest ancestors, nearest first, at most ANCESTOR_KEYS (absent: legacy). */
  anc?: string[];
  /** Sort keys of its children in creation order (absent: none recorded). */
  kids?: string[];
  /** The child the active path last went through (or was last created). */
  kidActive?: string;
}

/** The tree attributes of a conversation item: the root's children and the active leaf. */
export interface TreeRoot {
  /** Absent on a conversation every message of which was stored before the tree. */
  leafSk?: string;
  kids?: string[];
  kidActive?: string;
}

/**
 * Where a turn sits on the tree, decided when it is accepted and kept on its claim, so a resend
 * stores the same turn in the same place.
 */
export interface TurnPlace {
  /** The user message's parent: a reply's id, or the conversationId (root). */
  parentId: string;
  /** The parent's sort key; absent when the parent is the root. */
  parentSk?: string;
  /** The user message's ancestors, nearest first (at most ANCESTOR_KEYS): its history window starts here. */
  anc: string[];
  /**
   * The children the linked item (the parent; for a regenerate, the user message) has without a
   * `kids` list: a legacy item's one implicit child, listed first when a second arrives.
   */
  init: string[];
  /** A regenerate: the user message exists already at this time `t`; only a reply is stored. */
  userT?: number;
}

/** Reads and writes of tree attributes. `parentSk` undefined means the root (the conversation item). */
export interface TreeNodes {
  /** The tree attributes of the conversation item (undefined: no such conversation). */
  root(user: string, conversationId: string): Promise<TreeRoot | undefined>;
  /** The items at `sks` that exist, in the order asked (BatchGetItem). */
  get(user: string, conversationId: string, sks: readonly string[]): Promise<TreeNode[]>;
  /** Up to `limit` messages before `beforeSk` (undefined: the newest), newest first: the legacy order. */
  before(user: string, conversationId: string, beforeSk: string | undefined, limit: number): Promise<TreeNode[]>;
  /** The first message after `afterSk` (undefined: the oldest): a legacy message's implicit child. */
  after(user: string, conversationId: string, afterSk: string | undefined): Promise<TreeNode | undefined>;
  /** The message with this id in this conversation (its index item; legacy messages by a bounded scan of the partition). */
  find(user: string, conversationId: string, messageId: string): Promise<TreeNode | undefined>;
  /** Adds `childSk` to the parent's children (once; `init` first when it has none) and makes it the active child. */
  link(user: string, conversationId: string, parentSk: string | undefined, childSk: string, init: readonly string[]): Promise<void>;
  /** Removes `childSk` from the parent's children (a turn removed again right after it was stored). */
  unlink(user: string, conversationId: string, parentSk: string | undefined, childSk: string): Promise<void>;
  /** Makes `childSk` the parent's active child. */
  choose(user: string, conversationId: string, parentSk: string | undefined, childSk: string): Promise<void>;
  /**
   * A new turn's one write on the conversation item (core/turn.ts): while `holder` holds the lease,
   * extends it to `until`, makes `modelId` (when given) the conversation's model and `leafSk` the
   * active leaf, and with `rootChild` adds that child to the root's children as {@link link} does.
   * False, and nothing written, when the lease is not held (or the conversation is gone) or the
   * child is listed already.
   */
  holdTurn(user: string, conversationId: string, holder: string, until: number, modelId: string | undefined, leafSk: string,
    rootChild?: { childSk: string; init: readonly string[] }): Promise<boolean>;
  /** Sets the active leaf while `holder` holds the lease; with `release`, gives the lease back too. False: not held. */
  setLeaf(user: string, conversationId: string, holder: string, leafSk: string, release: boolean): Promise<boolean>;
  /** The sort key a page cursor continues before (BadCursorError unless it is one of this conversation's). */
  cursorSk(user: string, conversationId: string, cursor: string): string;
  /** The cursor of a page that ended at `sk`. */
  cursorOf(user: string, conversationId: string, sk: string): string;
}
