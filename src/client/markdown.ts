/**
 * Streaming Markdown: model text is parsed by marked, sanitized by DOMPurify and only then put
 * into the page. Rendering is incremental: blocks that can no longer change are rendered once
 * and kept; each frame re-parses only the open tail (the last block), so a long answer costs the
 * same per delta at its end as at its start.
 */
import DOMPurify from 'dompurify';
// marked ships only as an ES module; esbuild bundles it as one, but the type checker runs this
// folder in the library's CommonJS (node16) mode, which would refuse the import.
// @ts-expect-error TS1479 (ESM import from a CommonJS-mode file), harmless when bundled
import { Marked } from 'marked';
import type { Token } from 'marked' with { 'resolution-mode': 'import' };
import { h } from './dom';
import { highlightCode } from './highlight';
import { t } from './i18n';

const marked = new Marked({ gfm: true, breaks: true, async: false });

/** The only class model markup keeps: marked's `language-*` on code, which picks the highlighter. */
const MODEL_CLASS = /^language-[\w+-]+$/;

DOMPurify.addHook('afterSanitizeAttributes', (node) => {
  // The page's own classes (e.g. the fixed .toast) would let model text pose as the app's UI.
  if (node instanceof Element && node.hasAttribute('class')) {
    const kept = node.localName === 'code' ? Array.from(node.classList).filter((c) => MODEL_CLASS.test(c)) : [];
    if (kept.length > 0) node.setAttribute('class', kept.join(' '));
    else node.removeAttribute('class');
  }
  // Links from a model open elsewhere and never hand it our window or referrer.
  if (node instanceof HTMLAnchorElement && node.hasAttribute('href')) {
    node.setAttribute('target', '_blank');
    node.setAttribute('rel', 'noopener noreferrer nofollow');
  }
});

/** Markdown → sanitized DOM. Images and SVG are dropped: a model must not make the browser fetch URLs or draw over the page. */
export function renderMarkdown(tokens: Token[], final: boolean): DocumentFragment {
  const html = marked.parser(tokens);
  const fragment = DOMPurify.sanitize(html, {
    RETURN_DOM_FRAGMENT: true,
    FORBID_TAGS: ['img', 'svg', 'math', 'style', 'form', 'input', 'button', 'textarea', 'select', 'video', 'audio', 'iframe'],
    // ids and names: getElementById('toast') and the like must keep finding the app's elements.
    FORBID_ATTR: ['style', 'id', 'name'],
  });
  decorateCode(fragment, final);
  return fragment;
}

/** Wraps each code block with its language and a copy button, and highlights it. */
function decorateCode(root: DocumentFragment, final: boolean): void {
  for (const pre of Array.from(root.querySelectorAll('pre'))) {
    const code = pre.querySelector('code');
    if (!code) continue;
    const language = highlightCode(code, final);
    const copy = h('button', { type: 'button', class: 'copy-code' }, t('copy'));
    const bar = h('div', { class: 'code-bar' }, h('span', { class: 'code-lang' }, language ?? ''), copy);
    const wrap = h('div', { class: 'code-block' });
    pre.replaceWith(wrap);
    wrap.append(bar, pre);
  }
}

/** Where the open tail starts: after every block that a later character can no longer change. */
function stableBlockCount(tokens: Token[]): number {
  let last = tokens.length - 1;
  while (last >= 0 && tokens[last].type === 'space') last--;
  // The last real block may still grow (a paragraph may become a heading or a table, a list may
  // gain items, a fence may still be open), so it stays open; blocks before it are final.
  return Math.max(0, last);
}

/** Time spent per render, for `performance.getEntriesByName('md-render')` (bench / devtools). */
const MEASURE = 'md-render';
const MAX_MEASURES = 5000;
let measures = 0;

/** One streamed answer's rendered Markdown. */
export class StreamingMarkdown {
  /** The element to put in the page. */
  readonly element: HTMLElement;
  private readonly done: HTMLElement;
  private readonly live: HTMLElement;
  private text = '';
  /** Characters of `text` already rendered into `done`. */
  private committed = 0;
  private scheduled = 0;

  constructor(private readonly onRender: () => void = () => undefined) {
    this.done = h('div', { class: 'md-done' });
    this.live = h('div', { class: 'md-live' });
    this.element = h('div', { class: 'markdown' }, this.done, this.live);
  }

  /** The whole text so far. */
  get value(): string {
    return this.text;
  }

  /** Adds streamed text; the page is updated on the next animation frame. */
  append(delta: string): void {
    // marked normalizes line ends while lexing, which would break the offsets we keep.
    this.text += delta.replace(/\r/g, '');
    if (!this.scheduled) this.scheduled = requestAnimationFrame(() => this.render(false));
  }

  /** Replaces everything (e.g. the stored text read over HTTP) and renders it at once. */
  replace(text: string, final: boolean): void {
    this.text = text.replace(/\r/g, '');
    this.committed = 0;
    this.done.replaceChildren();
    this.render(final);
  }

  /** Renders what is left now, with full highlighting. */
  finish(): void {
    this.render(true);
  }

  private render(final: boolean): void {
    if (this.scheduled) cancelAnimationFrame(this.scheduled);
    this.scheduled = 0;
    const start = performance.now();
    const tokens = marked.lexer(this.text.slice(this.committed));
    const stable = final ? tokens.length : stableBlockCount(tokens);
    if (stable > 0) {
      const finished = tokens.slice(0, stable);
      this.done.append(renderMarkdown(finished, true));
      this.committed += finished.reduce((n, tok) => n + tok.raw.length, 0);
    }
    this.live.replaceChildren(renderMarkdown(tokens.slice(stable), final));
    if (measures++ < MAX_MEASURES) performance.measure(MEASURE, { start, end: performance.now() });
    this.onRender();
  }
}
