import { Brain, BrainRequest, lastUserText } from './brain';
import { realClock } from '../../core/adapters/clock';
import { sniff } from '../../core/domain/attachments';
import type { Clock } from '../../core/ports/clock';

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

/**
 * What the reply adds after the quote, one distinct paragraph after another until the reply has
 * OFFLINE_MIN_REPLY_CHARS: each language's paragraphs together are longer than that, so none is
 * ever repeated.
 */
const FILLER_KO = [
  '이 답변은 언어 모델이 아니라 오프라인 모델이 만든 것입니다. 클라우드 계정 없이 전체 스택을 시험할 수 있도록, '
    + '보내신 메시지를 그대로 인용하고 일정한 속도로 글자를 흘려보냅니다. 실제 답변을 받으려면 --model bedrock 또는 '
    + '--model openai 로 실행하세요.',
  '스트리밍, 중지, 재연결, 대화 기록과 제목 만들기는 배포된 챗봇과 똑같은 코드로 동작하므로 화면과 저장소를 그대로 '
    + '확인할 수 있습니다. 다만 여기에 보이는 문장은 질문에 대한 답이 아니라, 화면을 채우기 위해 미리 정해 둔 안내문입니다.',
];
const FILLER_EN = [
  'This reply comes from the offline model, which is not a language model. It quotes your message and streams '
    + 'text at a steady pace so the whole stack can run without a cloud account. Start the stack with --model bedrock or '
    + '--model openai for real answers.',
  'Streaming, stop, reconnect, history and titles run the same code as the deployed chatbot, so the page and the '
    + 'store can be checked as they are. The sentences here are not an answer to your question, only a fixed note that '
    + 'fills the reply.',
];

/** The full offline reply for a request (docs/PROTOCOL.md §4); exported so tests can compare. */
export function offlineReplyText(request: BrainRequest): string {
  const userText = lastUserText(request);
  const quoted = Array.from(userText).slice(0, OFFLINE_QUOTE_CHARS).join('');
  const korean = HANGUL.test(userText);
  const prior = Math.max(0, request.messages.length - 1);
  let text = `[offline model] context: ${prior} messages\n`
    + acknowledgedFiles(request)
    + (korean ? `보내신 메시지: ${quoted}\n\n` : `You wrote: ${quoted}\n\n`);
  for (const paragraph of korean ? FILLER_KO : FILLER_EN) {
    if (Array.from(text).length >= OFFLINE_MIN_REPLY_CHARS) break;
    text += `${paragraph}\n\n`;
  }
  return text.replace(/\n+$/, '\n');
}

/**
 * One line per file of the newest user message, what it received: `[offline model] image png,
 * 48213 bytes, 1280×720 px` / `[offline model] document pdf "report pdf", 1234 bytes, 2 pages`.
 */
export function acknowledgedFiles(request: BrainRequest): string {
  const last = [...request.messages].reverse().find((m) => m.role === 'user');
  return (last?.files ?? []).map((f) => {
    const found = sniff(f.bytes);
    const detail = f.kind === 'image'
      ? `, ${found.width ?? 0}×${found.height ?? 0} px`
      : found.kind === 'pdf' ? `, ${found.pages ?? 0} ${found.pages === 1 ? 'page' : 'pages'}` : '';
    const name = f.kind === 'document' ? ` "${f.name}"` : '';
    return `[offline model] ${f.kind} ${f.format}${name}, ${f.bytes.length} bytes${detail}\n`;
  }).join('');
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
