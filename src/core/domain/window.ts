import { attachmentTokens, MessageAttachment } from '../../contract/attachments';
import type { Turn } from '../ports/model';
import type { StoredMessage } from '../ports/store';

const HANGUL = /[\u1100-\u11FF\u3130-\u318F\uAC00-\uD7A3]/;

/** Tokens a turn costs beyond its text (role, message frame). */
export const TURN_FRAME_TOKENS = 4;

/**
 * Estimated tokens of a text before calibration: a Hangul syllable is about one token in
 * current tokenizers, other text about four characters a token.
 */
export function textTokens(text: string): number {
  let hangul = 0;
  let other = 0;
  for (const ch of text) {
    if (HANGUL.test(ch)) hangul++;
    else other++;
  }
  return Math.ceil(hangul + other / 4);
}

/** Estimated tokens of one turn (or the system prompt): its text plus the turn frame. */
export function estimateTokens(text: string): number {
  return textTokens(text) + TURN_FRAME_TOKENS;
}

/** Estimated tokens of a message's files (docs/PROTOCOL.md §15). */
export function filesTokens(files: readonly MessageAttachment[] | undefined): number {
  return (files ?? []).reduce((n, f) => n + attachmentTokens(f), 0);
}

/** Calibration is clamped so one odd usage report cannot make the window useless. */
export function clampCalibration(ratio: number): number {
  if (!Number.isFinite(ratio) || ratio <= 0) return 1;
  return Math.min(3, Math.max(0.5, ratio));
}

/** A reply counts as history only if the user saw it end (completely or by their stop). */
function usableReply(m: StoredMessage): boolean {
  return m.role === 'assistant' && (m.status === 'complete' || m.status === 'stopped') && m.text.trim().length > 0;
}

/**
 * Accumulates prior messages (given newest first, as the store reads them) into a window that
 * fits `budget` tokens, keeping only whole turns (user message + usable reply) so the result
 * starts with a user turn and alternates. Feed pages until `full` is true or the store runs out.
 */
export class WindowBuilder {
  /** Whole turns, newest first. */
  private readonly turns: Array<[Turn, Turn]> = [];
  private used = 0;
  private pendingReply: StoredMessage | undefined;
  /** No more messages are needed: the budget (or the message cap) is reached. */
  public full = false;
  public seen = 0;
  /** The files of the window's user turns (their bytes are read after the window is chosen). */
  public readonly files = new Map<Turn, readonly MessageAttachment[]>();

  constructor(private readonly budget: number, private readonly calib: number, private readonly maxMessages: number) {}

  /** Adds messages in newest-first order. */
  public add(messages: readonly StoredMessage[]): void {
    for (const m of messages) {
      if (this.full) return;
      if (++this.seen > this.maxMessages) { this.full = true; return; }
      if (m.role === 'assistant') {
        // A reply without its user message (or an unusable one) just waits to be paired or dropped.
        this.pendingReply = usableReply(m) ? m : undefined;
        continue;
      }
      const reply = this.pendingReply;
      this.pendingReply = undefined;
      if (!reply) continue; // failed or incomplete turn: skipped whole, roles stay alternating
      const cost = Math.ceil((estimateTokens(m.text) + filesTokens(m.attachments) + estimateTokens(reply.text)) * this.calib);
      if (this.used + cost > this.budget) { this.full = true; return; }
      this.used += cost;
      const asked: Turn = { role: 'user', text: m.text };
      if (m.attachments?.length) this.files.set(asked, m.attachments);
      this.turns.push([asked, { role: 'assistant', text: reply.text }]);
    }
  }

  /** The window, oldest first: user, assistant, user, assistant, … */
  public result(): Turn[] {
    return this.turns.slice().reverse().flat();
  }

  /** Estimated (uncalibrated) tokens of the window, to calibrate against Bedrock's usage later. */
  public get estimatedTokens(): number {
    return this.turns.reduce((n, [u, a]) => n + estimateTokens(u.text) + filesTokens(this.files.get(u)) + estimateTokens(a.text), 0);
  }
}
