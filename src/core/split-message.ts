import type { ErrorFrame } from '../contract/protocol';
import { judgeParts } from './domain/acceptance';
import type { PartInput, Parts } from './ports/store';

/** Result of storing a part: still waiting, complete (this caller assembles), or refused. */
export type PartResult =
  | { state: 'waiting' }
  | { state: 'complete'; text: string; conversationId?: string }
  | { state: 'taken' }
  | { state: 'error'; error: ErrorFrame };

/**
 * Stores one part of a split message and decides the set at most once: parts may arrive in any
 * order and in concurrent invocations, so whether the set is answered is decided by the store's
 * `decide` (a conditional put of a marker), never by "I saw all parts". Whoever decides answers —
 * with the whole text when the set is complete, or with the refusal (TOO_LARGE, BAD_REQUEST) as
 * soon as the parts seen prove the set bad — and every other invocation of the set stays quiet
 * (`taken`).
 */
export async function storePart(parts: Parts, user: string, part: PartInput, now: number, maxInputChars: number): Promise<PartResult> {
  const set = await parts.put(user, part, now);
  if (set.decided) return { state: 'taken' };
  const judged = judgeParts(set.parts, part, maxInputChars);
  if (judged.verdict === 'waiting') return { state: 'waiting' };
  if (!(await parts.decide(user, part.messageId, now))) return { state: 'taken' };
  if (judged.verdict === 'refused') {
    // A refused set is never used: its parts go now (the marker keeps late parts quiet).
    await parts.remove(user, part.messageId, set.parts.map((p) => p.index));
    return { state: 'error', error: judged.error };
  }
  return { state: 'complete', text: judged.text, conversationId: part.conversationId };
}

/**
 * Refuses a part's set before the part is stored (its files are refused, docs/PROTOCOL.md §15):
 * true for the one invocation that decides the set and answers; the parts already stored go.
 * Every part carries the same files, so the others are refused the same way and stay quiet.
 */
export async function refuseSet(parts: Parts, user: string, messageId: string, count: number, now: number): Promise<boolean> {
  if (!(await parts.decide(user, messageId, now))) return false;
  await parts.remove(user, messageId, Array.from({ length: count }, (_, i) => i));
  return true;
}
