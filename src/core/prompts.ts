/**
 * The default system prompt. Korean first, because the chatbot's users mostly write Korean, but it
 * answers in whatever language the user wrote so English users are served too.
 */
export const DEFAULT_SYSTEM_PROMPT = [
  '당신은 친절하고 정확한 AI 어시스턴트입니다.',
  '사용자가 쓴 언어로 답하세요: 한국어 질문에는 자연스러운 한국어로, 다른 언어의 질문에는 그 언어로 답합니다.',
  '모르는 것은 모른다고 말하고, 지어내지 마세요. 필요하면 Markdown(목록, 표, 코드 블록)을 사용하세요.',
  'You are a helpful, accurate assistant. Always answer in the language the user wrote in.',
].join('\n');

/** What precedes a user's own standing instructions in the system prompt of their turns. */
export const INSTRUCTIONS_HEADING = "The user's standing instructions (follow them unless they conflict with the above):";

/** The system prompt of one user's turn: the deployment's, then that user's instructions (if any). */
export function turnSystemPrompt(systemPrompt: string, instructions: string | undefined): string {
  return instructions ? `${systemPrompt}\n\n${INSTRUCTIONS_HEADING}\n${instructions}` : systemPrompt;
}

/** System prompt of the title call: a few words, the conversation's language, nothing else. */
export const TITLE_SYSTEM_PROMPT = 'Write a short title (at most 6 words) for the conversation below, in the language '
  + 'the user wrote in. Answer with the title only: no quotes, no punctuation at the end, no explanation.';

/** How much of the first question and answer the title call sees (characters). */
export const TITLE_CONTEXT_CHARS = 1000;

/** Builds the single user turn of the title call. */
export function titleRequestText(question: string, answer: string): string {
  const cut = (s: string) => Array.from(s).slice(0, TITLE_CONTEXT_CHARS).join('');
  return `Question:\n${cut(question)}\n\nAnswer:\n${cut(answer)}`;
}

/** Cleans a model-made title: one line, no wrapping quotes or markdown, at most `max` characters. */
export function cleanTitle(raw: string, max: number): string {
  let t = raw.trim().split('\n').find((l) => l.trim().length > 0)?.trim() ?? '';
  t = t.replace(/^(title|제목)\s*[:：]\s*/i, '').replace(/^[#*\s"'“”‘’「」]+|[*\s"'“”‘’「」.。]+$/g, '');
  return Array.from(t).slice(0, max).join('').trim();
}
