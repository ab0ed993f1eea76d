import { Brain, BrainRequest, lastUserText } from './brain';
import { realClock } from '../../core/adapters/clock';
import { sniff } from '../../core/domain/attachments';
import type { Clock } from '../../core/ports/clock';

/** Options of {@link offlineBrain}. */
export interface OfflineBrainOptions {
  /** Characters per second of the stream. Default {@link OFFLINE_DEFAULT_CPS}. */
  readonly cps?: number;
  readonly clock?: Clock;
}

/** Default speed of the stream, characters per second (a demo answer is 500–900 characters). */
export const OFFLINE_DEFAULT_CPS = 100;
const HANGUL = /[\u1100-\u11FF\u3130-\u318F\uAC00-\uD7A3]/;
/** How much of the user's message the reply quotes. */
export const OFFLINE_QUOTE_CHARS = 200;
/** How much of the question's first line the code block carries. */
const SNIPPET_CHARS = 40;
/** How much of the end of the system prompt the table shows (where per-user instructions go). */
export const OFFLINE_SYSTEM_TAIL_CHARS = 60;
/** How many distinct conversations' version counters a brain keeps (oldest dropped first). */
const VERSION_MEMORY = 1000;

interface Words {
  readonly first: string;
  readonly heading: string;
  readonly intros: readonly string[];
  readonly tips: readonly string[];
  readonly table: readonly [string, string, string, string, string, string];
  readonly last: string;
}

const KO: Words = {
  first: '오프라인 데모 모델의 답입니다: AWS도 언어 모델도 없이, 정해 둔 틀에 질문을 채웠습니다.',
  heading: '데모 답변',
  intros: [
    '질문을 받았습니다. 실제 모델이라면 여기서 답을 썼을 것입니다. 대신 이 화면이 보여 주는 것들입니다:',
    '같은 질문이라도 다시 생성하면 다른 버전이 나옵니다. 이번 버전에서 살펴볼 것들:',
    '이 답은 Markdown으로 쓰였고, 화면에 닿기 전에 정화(sanitize)됩니다. 확인해 볼 것들:',
  ],
  tips: [
    '**스트리밍**: 글자가 일정한 속도로 흘러옵니다 (`--offline-cps`).',
    '**중지**: 답이 흐르는 동안 중지 버튼으로 멈출 수 있습니다.',
    '**모델 선택**: 입력창 옆에서 대화마다 모델을 고릅니다.',
    '**지침**: 설정 메뉴에 저장한 지침은 시스템 프롬프트 끝에 붙습니다 (아래 표).',
    '**대화 기록**: 새로고침해도 대화와 제목이 남아 있습니다.',
    '**코드 강조**: 아래 코드 블록은 언어에 맞게 색이 입혀지고 복사 버튼이 붙습니다.',
  ],
  table: ['항목', '값', '글자 수', 'UTF-8 바이트', '앞선 메시지', '시스템 프롬프트 끝'],
  last: '실제 답을 받으려면 `--model bedrock` (AWS, 유료) 또는 `--model openai` (Ollama 등)으로 실행하세요.',
};

const EN: Words = {
  first: 'The offline demo model answers: no AWS, no language model, a fixed pattern filled in with your question.',
  heading: 'Demo answer',
  intros: [
    'Your question arrived. A real model would answer it here; instead, here is what this page shows:',
    'The same question regenerated gives another version. Things to look at in this one:',
    'This answer is written in Markdown and sanitized before it reaches the page. Things to try:',
  ],
  tips: [
    '**Streaming**: the text flows in at a steady pace (`--offline-cps`).',
    '**Stop**: the stop button ends an answer while it streams.',
    '**Model picker**: next to the message box, one model per conversation.',
    '**Instructions**: saved in the settings menu, they end the system prompt (see the table).',
    '**History**: conversations and their titles survive a reload.',
    '**Highlighting**: the code block below is coloured for its language and has a Copy button.',
  ],
  table: ['Item', 'Value', 'Characters', 'UTF-8 bytes', 'Earlier messages', 'End of the system prompt'],
  last: 'For real answers, start the stack with `--model bedrock` (AWS, paid) or `--model openai` (Ollama and the like).',
};

/** A small stable hash so the same question picks the same parts. */
function hash(text: string): number {
  let h = 7;
  for (let i = 0; i < text.length; i++) h = (h * 31 + text.charCodeAt(i)) % 2_147_483_647;
  return h;
}

/** A code block about the question, in one of four languages (all of them highlighted by the client). */
function snippet(kind: number, line: string, chars: number, bytes: number): string {
  const q = JSON.stringify(line);
  switch (kind % 4) {
    case 0: return `\`\`\`typescript\nconst question = ${q};\nconsole.log([...question].length); // ${chars}\n\`\`\``;
    case 1: return `\`\`\`python\nquestion = ${q}\nprint(len(question))  # ${chars}\n\`\`\``;
    case 2: return `\`\`\`json\n{\n  "question": ${q},\n  "characters": ${chars},\n  "utf8Bytes": ${bytes}\n}\n\`\`\``;
    default: return `\`\`\`bash\nprintf '%s' '${line.replace(/'/g, '\'\\\'\'')}' | wc -c  # ${bytes}\n\`\`\``;
  }
}

/** Text that stays inside one table cell. */
function cell(text: string): string {
  return text.replace(/\s+/g, ' ').trim().replace(/\\/g, '\\\\').replace(/\|/g, '\\|') || '—';
}

/**
 * The full offline reply for a request (docs/PROTOCOL.md §4); exported so tests can compare.
 * `version` (0, 1, …) is how many times this brain answered the very same request before: it
 * picks other parts, so a regenerated answer differs.
 */
export function offlineReplyText(request: BrainRequest, version = 0): string {
  const userText = lastUserText(request);
  const korean = HANGUL.test(userText);
  const w = korean ? KO : EN;
  const prior = Math.max(0, request.messages.length - 1);
  const chars = Array.from(userText);
  const quote = chars.slice(0, OFFLINE_QUOTE_CHARS).join('').split('\n').map((l) => `> ${l}`.trimEnd()).join('\n');
  const firstLine = Array.from(userText.split('\n').find((l) => l.trim()) ?? '').slice(0, SNIPPET_CHARS).join('').trim();
  const bytes = new TextEncoder().encode(userText).length;
  const pick = hash(userText) + version;
  const tips = [0, 1, 2].map((i) => `- ${w.tips[(pick + i * 2) % w.tips.length]}`).join('\n');
  const system = Array.from(request.system.join('\n'));
  const tail = (system.length > OFFLINE_SYSTEM_TAIL_CHARS ? '…' : '') + system.slice(-OFFLINE_SYSTEM_TAIL_CHARS).join('');
  const t = w.table;
  const files = acknowledgedFiles(request).trimEnd();
  return [
    `[offline model] context: ${prior} messages · ${w.first}${files ? `\n${files}` : ''}`,
    `## ${w.heading} ${version + 1}`,
    quote || '>',
    w.intros[pick % w.intros.length],
    tips,
    `| ${t[0]} | ${t[1]} |\n|---|---|\n| ${t[2]} | ${chars.length} |\n| ${t[3]} | ${bytes} |\n| ${t[4]} | ${prior} |\n| ${t[5]} | ${cell(tail)} |`,
    snippet(pick, firstLine, Array.from(firstLine).length, new TextEncoder().encode(firstLine).length),
    w.last,
  ].join('\n\n') + '\n';
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
 * The offline demo model: a short Markdown answer (heading, quote, list, table, code block) in
 * Korean when the user wrote Hangul, whose first line says what it is, streamed at `cps`
 * characters per second. The same request asked again gets the next version. Non-streaming
 * calls (titles) answer at once.
 */
export function offlineBrain(options: OfflineBrainOptions = {}): Brain {
  const cps = options.cps ?? OFFLINE_DEFAULT_CPS;
  if (!(cps > 0)) throw new Error('offline cps must be > 0');
  const clock = options.clock ?? realClock;
  const versions = new Map<string, number>();
  const nextVersion = (request: BrainRequest): number => {
    const key = JSON.stringify([request.system, request.messages]);
    const n = versions.get(key) ?? 0;
    versions.delete(key);
    if (versions.size >= VERSION_MEMORY) versions.delete(versions.keys().next().value!);
    versions.set(key, n + 1);
    return n;
  };
  return {
    async converse(request, signal) {
      const text = request.streaming ? offlineReplyText(request, nextVersion(request)) : offlineTitle(request);
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
