/**
 * Code highlighting with highlight.js core and a handful of common languages, registered one by
 * one: the full bundle would cost more than the rest of the client together.
 */
import hljs from 'highlight.js/lib/core';
import bash from 'highlight.js/lib/languages/bash';
import css from 'highlight.js/lib/languages/css';
import go from 'highlight.js/lib/languages/go';
import java from 'highlight.js/lib/languages/java';
import javascript from 'highlight.js/lib/languages/javascript';
import json from 'highlight.js/lib/languages/json';
import python from 'highlight.js/lib/languages/python';
import sql from 'highlight.js/lib/languages/sql';
import typescript from 'highlight.js/lib/languages/typescript';
import xml from 'highlight.js/lib/languages/xml';
import yaml from 'highlight.js/lib/languages/yaml';

const LANGUAGES = { bash, css, go, java, javascript, json, python, sql, typescript, xml, yaml };
for (const [name, def] of Object.entries(LANGUAGES)) hljs.registerLanguage(name, def);
hljs.configure({ ignoreUnescapedHTML: true });

/** Auto-detection is skipped above this size while an answer streams (it tries every language). */
const AUTO_DETECT_MAX_CHARS = 20_000;

/**
 * Highlights one `<code>` element in place. The code's text is read with textContent and
 * highlight.js escapes it again, so no model text is ever parsed as HTML here. Returns the
 * language name used, if any.
 */
export function highlightCode(code: HTMLElement, allowAutoDetect: boolean): string | undefined {
  const declared = /\blanguage-([\w+-]+)/.exec(code.className)?.[1]?.toLowerCase();
  const text = code.textContent ?? '';
  let result: { value: string; language?: string } | undefined;
  if (declared && hljs.getLanguage(declared)) {
    result = hljs.highlight(text, { language: declared, ignoreIllegals: true });
  } else if (!declared && allowAutoDetect && text.length <= AUTO_DETECT_MAX_CHARS) {
    result = hljs.highlightAuto(text);
  }
  if (!result) return declared;
  // highlight.js output is escaped text inside its own <span class="hljs-…"> markup.
  code.innerHTML = result.value;
  code.classList.add('hljs');
  return result.language ?? declared;
}
