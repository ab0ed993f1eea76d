/**
 * The conversation tree's rules free of any store (docs/TABLE.md §8, docs/PROTOCOL.md §13): how
 * many ancestors a message lists, the tree attributes a turn's items are written with, and what a
 * page of the active path says about each message (its parent and its versions).
 */
import type { MessageVersions } from '../../contract/protocol';
import type { TurnRef } from '../ports/store';
import type { TreeNode } from '../ports/tree';

/**
 * Each message lists the sort keys of its nearest ANCESTOR_KEYS ancestors: a page or a window of
 * that many messages is one GetItem of its newest message and one BatchGetItem, and longer ones
 * continue from the farthest ancestor's own list (one BatchGetItem per ANCESTOR_KEYS messages).
 */
export const ANCESTOR_KEYS = 50;

/** Most messages a switch walks down below the chosen one (a guard: each step is one small read). */
export const MAX_WALK_STEPS = 10_000;

/** The id in a message sort key `M#{t}#{kind}#{id}`. */
export function idOfSk(sk: string): string {
  return sk.slice('M#'.length + 13 + '#0#'.length);
}

/** The tree attributes of a turn's new user message (its reply is its first child). */
export function userTreeAttributes(turn: TurnRef, replySk: string): Record<string, unknown> {
  if (!turn.tree) return {};
  return {
    parentId: turn.tree.parentId,
    ...(turn.tree.parentSk ? { parentSk: turn.tree.parentSk } : {}),
    anc: turn.tree.anc,
    kids: [replySk],
    kidActive: replySk,
  };
}

/** The tree attributes of a turn's reply: it follows its user message. */
export function replyTreeAttributes(turn: TurnRef, userSk: string): Record<string, unknown> {
  if (!turn.tree) return {};
  return { parentId: turn.messageId, parentSk: userSk, anc: [userSk, ...turn.tree.anc].slice(0, ANCESTOR_KEYS) };
}

/** The ancestors a child of `parent` lists: the parent, then the parent's own nearest ones. */
export function childAncestors(parent: TreeNode | undefined, parentAncestors: readonly string[]): string[] {
  return parent ? [parent.sk, ...parentAncestors].slice(0, ANCESTOR_KEYS) : [];
}

/** A message's versions: its parent's children when there is more than one, else none. */
export function versionsOf(sk: string, siblings: readonly string[] | undefined): MessageVersions | undefined {
  if (!siblings || siblings.length < 2) return undefined;
  const index = siblings.indexOf(sk);
  return index < 0 ? undefined : { ids: siblings.map(idOfSk), index };
}

/** The child a walk down the active path follows: the active one, else the newest. */
export function nextChild(node: { kids?: readonly string[]; kidActive?: string }): string | undefined {
  if (!node.kids?.length) return undefined;
  return node.kidActive && node.kids.includes(node.kidActive) ? node.kidActive : node.kids[node.kids.length - 1];
}
