import { Brain, BrainRequest, lastUserText } from './brain';
import { Clock, realClock } from '../../core/clock';

/** Options of {@link offlineBrain}. */
export interface OfflineBrainOptions {
  /** Characters per second of the stream. Default 50. */
  readonly cps?: number;
  readonly clock?: Clock;
}

const HANGUL = /[\u1100-\u11FF\u3130-\u318F\uAC00-\uD7A3]/;
/** The reply is padded to at least this many characters. */
export const OFFLINE_MIN_REPLY_CHARS = 300;
/** How much of the user's message the reply quotes. */
export const OFFLINE_QUOTE_CHARS = 200;

const FILLER_KO = '이 답변은 언어 모델이 아니라 오프라인 모델이 만든 것입니다. 클라우드 계정 없이 전체 스택을 시험할 수 있도록, '
  + '보내신 메시지를 그대로 인용하고 일정한 속도로 글자를 흘려보냅니다. 실제 답변을 받으려면 --model bedrock 또는 --model openai 로 실행하세요. ';
const FILLER_EN = 'This reply comes from the offline model, which is not a language model. It quotes your message and streams '
  + 'text at a steady pace so the whole stack can run without a cloud account. Start the stack with --model bedrock or '
  + '--model openai for real answers. ';

/** The full offline reply for a request (PROTOCOL.md §4); exported so tests can compare. */
export function offlineReplyText(request: BrainRequest): string {
  const userText = lastUserText(request);
  const quoted = Array.from(userText).slice(0, OFFLINE_QUOTE_CHARS).join('');
  const korean = HANGUL.test(userText);
  const prior = Math.max(0, request.messages.length - 1);
  let text = `[offline model] context: ${prior} messages\n`
    + (korean ? `보내신 메시지: ${quoted}\n\n` : `You wrote: ${quoted}\n\n`);
  const filler = korean ? FILLER_KO : FILLER_EN;
  while (Array.from(text).length < OFFLINE_MIN_REPLY_CHARS) text += filler;
  return text;
}

/**
 * A short title: the first line of the question, at most 40 characters. The title call sends
 * "Question:\n…\n\nAnswer:\n…" (core/prompts.ts), so label lines are skipped.
 */
export function offlineTitle(request: BrainRequest): string {
  const line = lastUserText(request).split('\n').map((l) => l.trim()).find((l) => l && !/^(Question|Answer):$/.test(l)) ?? '';
  return Array.from(line).slice(0, 40).join('') || 'Conversation';
}

/**
 * The offline model: says what it is, quotes the new message verbatim, and streams filler in
 * Korean when the user wrote Hangul, at `cps` characters per second. Non-streaming calls (titles)
 * answer at once.
 */
export function offlineBrain(options: OfflineBrainOptions = {}): Brain {
  const cps = options.cps ?? 50;
  if (!(cps > 0)) throw new Error('offline cps must be > 0');
  const clock = options.clock ?? realClock;
  return {
    async converse(request, signal) {
      const text = request.streaming ? offlineReplyText(request) : offlineTitle(request);
      const chars = Array.from(text);
      // Pieces of a few characters, like model tokens, paced to cps.
      const pieceChars = 4;
      return (async function* () {
        for (let i = 0; i < chars.length && !signal.aborted; i += pieceChars) {
          if (request.streaming && i > 0) await clock.sleep((pieceChars * 1000) / cps, signal);
          if (signal.aborted) return;
          yield chars.slice(i, i + pieceChars).join('');
        }
        return { stopReason: 'end_turn' as const };
      })();
    },
  };
}
