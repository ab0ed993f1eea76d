/**
 * Code highlighting. highlight.js and its languages are a separate chunk (highlight-languages.ts)
 * fetched the first time a code block appears: until it arrives, code shows as plain text, and
 * the blocks that were waiting are highlighted when it does. If it cannot be fetched (offline, or
 * a deploy replaced it under an open tab), code simply stays plain.
 */
import type { HLJSApi } from 'highlight.js';

/** Auto-detection is skipped above this size while an answer streams (it tries every language). */
const AUTO_DETECT_MAX_CHARS = 20_000;

let hljs: HLJSApi | undefined;
let loading: Promise<void> | undefined;
/** Code elements rendered before highlight.js arrived, with whether they may auto-detect. */
const waiting = new Map<HTMLElement, boolean>();

/** Starts fetching highlight.js (once); resolves when it is usable or has failed. */
export function loadHighlighter(): Promise<void> {
  loading ??= import('./highlight-languages.js').then(
    (m) => {
      hljs = m.hljs;
      for (const [code, autoDetect] of waiting) if (code.isConnected) highlightNow(code, autoDetect);
      waiting.clear();
    },
    () => waiting.clear(),
  );
  return loading;
}

/**
 * Highlights one `<code>` element in place, now if highlight.js is loaded, else as soon as it
 * is. The code's text is read with textContent and highlight.js escapes it again, so no model
 * text is ever parsed as HTML here. Returns the language name used or declared, if any.
 */
export function highlightCode(code: HTMLElement, allowAutoDetect: boolean): string | undefined {
  if (hljs) return highlightNow(code, allowAutoDetect);
  waiting.set(code, allowAutoDetect);
  void loadHighlighter();
  return declaredLanguage(code);
}

/** Takes `code` off the list of blocks waiting for highlight.js (its owner highlights it itself). */
export function cancelHighlight(code: HTMLElement): void {
  waiting.delete(code);
}

/**
 * Highlighted markup (escaped text in highlight.js spans) for `text` in a declared language, or
 * undefined when highlight.js is not loaded yet or does not know the language.
 */
export function highlightedHtml(text: string, language: string | undefined): string | undefined {
  if (!hljs || !language || !hljs.getLanguage(language)) {
    if (!hljs) void loadHighlighter();
    return undefined;
  }
  return hljs.highlight(text, { language, ignoreIllegals: true }).value;
}

function declaredLanguage(code: HTMLElement): string | undefined {
  return /\blanguage-([\w+-]+)/.exec(code.className)?.[1]?.toLowerCase();
}

function highlightNow(code: HTMLElement, allowAutoDetect: boolean): string | undefined {
  const h = hljs!;
  const declared = declaredLanguage(code);
  const text = code.textContent ?? '';
  let result: { value: string; language?: string } | undefined;
  if (declared && h.getLanguage(declared)) {
    result = h.highlight(text, { language: declared, ignoreIllegals: true });
  } else if (!declared && allowAutoDetect && text.length <= AUTO_DETECT_MAX_CHARS) {
    result = h.highlightAuto(text);
  }
  if (!result) return declared;
  // highlight.js output is escaped text inside its own <span class="hljs-…"> markup.
  code.innerHTML = result.value;
  code.classList.add('hljs');
  const language = result.language ?? declared;
  // A block rendered before highlight.js arrived shows the detected language once it is known.
  const label = code.closest('.code-block')?.querySelector('.code-lang');
  if (label && !label.textContent && language) label.textContent = language;
  return language;
}
