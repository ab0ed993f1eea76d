import { LEASE_MS } from './domain/runtime-limits';
import type { Store, TurnRef } from './ports/store';
import type { TreeNodes } from './ports/tree';
import { attachTurn, detachTurn, holdNewTurn } from './tree';

/** What storing a claimed turn came to. */
export type StoredTurn =
  /** Stored and still this reply's conversation: this call generates, its lease runs to `leaseUntil`. */
  | { state: 'ours'; leaseUntil: number }
  /** Another invocation created the reply and generates it (it holds the same lease). */
  | { state: 'exists' }
  /** The conversation was deleted meanwhile: the turn's own items were removed again. */
  | { state: 'gone' }
  /** Another reply holds the conversation's lease (this one's lapsed): the turn's own items were removed again. */
  | { state: 'taken' };

/**
 * Stores a claimed turn, then verifies that its conversation still exists and is still leased to
 * its reply, by renewing the lease (a conditional write on the conversation item, so the
 * generator also knows its lease's expiry: it set it). When the check fails, the turn deletes
 * what it wrote (claim, user message, reply, pointer) and the caller refuses the message.
 *
 * The check V is one conditional write on the conversation item (`leaseReplyId = :me`): on a
 * tree turn's first storing, the merged write of holdNewTurn (lease, model, leaf, and the root's
 * children for a first message: one request instead of three); for a `rerun` (a resend finishing
 * a claimed turn, whose child may be listed already), without a tree, or when the merged write
 * failed only because the child is listed, the lease renewal, with the tree's writes beside it.
 *
 * Why deleting a conversation always wins, without transactions (dynalite has none): a delete
 * removes the conversation item FIRST (D1) and then queries its partition with a consistent
 * read (D2); the turn finishes its writes (W) before its check (V), and V and D1 are conditional
 * writes on the same item, so one of them comes first. If V comes first, W < V < D1 < D2: D2
 * sees every item of the turn and deletes it (and the claim, by the user message's id). If D1
 * comes first, V fails and the turn deletes its own items, whatever D2 saw of them. Either way
 * no item of the turn survives, and nothing after V recreates one: checkpoints and the final write
 * are conditional on the reply, the lease's writes on the conversation, a link on its holder item.
 */
export async function storeTurn(store: Store, user: string, turn: TurnRef, text: string, rerun: boolean,
  now: () => number): Promise<StoredTurn> {
  if (!(await store.messages.putTurn(user, turn, text, rerun))) return { state: 'exists' };
  const leaseUntil = now() + LEASE_MS;
  const tree = turn.tree && store.tree;
  if (tree && !rerun) {
    if (await holdNewTurn(tree, user, turn, leaseUntil)) return { state: 'ours', leaseUntil };
    // Read to tell why: a lease still ours means the child was listed already (by an earlier
    // storing of this turn), and the writes one by one below finish it.
    const held = await store.conversations.get(user, turn.conversationId);
    if (held?.leaseReplyId !== turn.replyId) return removeTurn(store, tree, user, turn, !held);
  }
  // On the tree, the turn joins its parent's children and becomes the active leaf (its writes are
  // conditional on the parent and on this lease, so a deleted conversation gains nothing).
  const [renewed] = await Promise.all([
    // The same write makes the turn's model the conversation's (a refused message never changes it).
    store.conversations.renewLease(user, turn.conversationId, turn.replyId, leaseUntil, turn.modelId),
    tree ? attachTurn(tree, user, turn) : undefined,
  ]);
  if (renewed) return { state: 'ours', leaseUntil };
  return removeTurn(store, tree, user, turn, !(await store.conversations.get(user, turn.conversationId)));
}

/** The turn failed its check (V): its own items are deleted again, and its link unless the conversation is `gone`. */
async function removeTurn(store: Store, tree: TreeNodes | undefined, user: string, turn: TurnRef, gone: boolean): Promise<StoredTurn> {
  // The claim first: a resend arriving meanwhile is then a new message and finds the conversation
  // missing or busy, instead of finishing this turn from its claim.
  await store.claims.delete(user, [turn.requestId ?? turn.messageId]);
  await store.messages.deleteTurn(user, turn);
  if (tree && !gone) await detachTurn(tree, user, turn);
  return { state: gone ? 'gone' : 'taken' };
}
