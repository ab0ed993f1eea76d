/**
 * Deterministic answer texts and their split into model tokens, so every run streams the same
 * bytes and figures from different runs compare.
 */

const KOREAN_SENTENCES = [
  '서울은 대한민국의 수도이며 한강을 따라 발전한 도시입니다.',
  '스트리밍 응답은 모델이 만든 조각을 바로 사용자에게 보냅니다.',
  '대화 기록은 메시지마다 하나의 항목으로 저장됩니다.',
  '긴 답변도 중간에 끊기지 않고 끝까지 전달되어야 합니다.',
  '한글은 한 글자가 UTF-8에서 3바이트를 차지합니다.',
  '연결이 끊겨도 이미 만든 답변은 잃어버리지 않습니다.',
];

const ENGLISH_SENTENCES = [
  'Streaming sends each new piece of the answer as soon as the model makes it.',
  'History is stored one item per message, never as one growing blob.',
  'A client that reconnects reads the stored reply over HTTP.',
  'Throttling is answered with a clear error code, never with silence.',
];

function fill(sentences: readonly string[], chars: number): string {
  let out = '';
  for (let i = 0; [...out].length < chars; i++) out += sentences[i % sentences.length] + ' ';
  return [...out].slice(0, chars).join('');
}

/** A Korean answer of exactly `chars` code points. */
export function koreanText(chars: number): string {
  return fill(KOREAN_SENTENCES, chars);
}

/** An English answer of exactly `chars` code points. */
export function englishText(chars: number): string {
  return fill(ENGLISH_SENTENCES, chars);
}

/**
 * Cuts a text into model tokens of `charsPerToken` code points (Claude-family tokenizers give
 * roughly one token per 1–2 Hangul syllables and per ~4 English characters).
 */
export function tokenize(text: string, charsPerToken: number): string[] {
  const cps = [...text];
  const tokens: string[] = [];
  for (let i = 0; i < cps.length; i += charsPerToken) tokens.push(cps.slice(i, i + charsPerToken).join(''));
  return tokens;
}
