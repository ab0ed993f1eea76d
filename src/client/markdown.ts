/**
 * Streaming Markdown: model text is parsed by marked, sanitized by DOMPurify and only then put
 * into the page. Model HTML is never markup: marked's HTML tokenizers are switched off, so a
 * `<script>` or `<textarea>` in an answer is text like any other (and Markdown around it still
 * renders); DOMPurify stays the last line.
 *
 * Rendering is incremental: blocks that can no longer change are rendered once and kept; each
 * frame re-parses only the open tail (the last block). Inside one long open block — a code fence
 * or a table still streaming — only what is new is rendered (see {@link OpenFence},
 * {@link OpenTable}), so a long answer costs the same per delta at its end as at its start.
 */
import DOMPurify from 'dompurify';
// marked ships only as an ES module; esbuild bundles it as one, but the type checker runs this
// folder in the library's CommonJS (node16) mode, which would refuse the import.
// @ts-expect-error TS1479 (ESM import from a CommonJS-mode file), harmless when bundled
import { Marked } from 'marked';
import type { Token, Tokens } from 'marked' with { 'resolution-mode': 'import' };
import { h } from './dom';
import { cancelHighlight, highlightCode, highlightedHtml } from './highlight';
import { localize } from './i18n';

const marked = new Marked({ gfm: true, breaks: true, async: false });
marked.use({
  // No HTML blocks or inline tags: `<tag>` stays text, which marked escapes. (A block-level
  // `<script>` would otherwise swallow the rest of the answer and DOMPurify would drop it.)
  tokenizer: { html: () => undefined, tag: () => undefined },
  renderer: {
    // Unreachable with the tokenizers above; kept so that no HTML token can ever pass as markup.
    html: ({ text }: Tokens.HTML | Tokens.Tag) => escapeHtml(text),
    // Task list items: a read-only checkbox (the only input DOMPurify lets through, see below).
    checkbox: ({ checked }: Tokens.Checkbox) => `<input type="checkbox" disabled${checked ? ' checked' : ''}> `,
  },
});

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

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
  // Inputs survive only as a task list item's disabled checkbox, with no other attribute.
  if (node instanceof HTMLInputElement) {
    const item = node.parentElement?.localName === 'li' ? node.parentElement : node.parentElement?.parentElement;
    if (node.type !== 'checkbox' || item?.localName !== 'li') {
      node.remove();
      return;
    }
    const checked = node.hasAttribute('checked');
    for (const name of node.getAttributeNames()) node.removeAttribute(name);
    node.setAttribute('type', 'checkbox');
    node.setAttribute('disabled', '');
    if (checked) node.setAttribute('checked', '');
  }
});

/** Markdown → sanitized DOM. Images and SVG are dropped: a model must not make the browser fetch URLs or draw over the page. */
export function renderMarkdown(tokens: Token[], final: boolean): DocumentFragment {
  const html = marked.parser(tokens);
  const fragment = DOMPurify.sanitize(html, {
    RETURN_DOM_FRAGMENT: true,
    FORBID_TAGS: ['img', 'svg', 'math', 'style', 'form', 'button', 'textarea', 'select', 'video', 'audio', 'iframe'],
    // ids and names: getElementById('toast') and the like must keep finding the app's elements.
    FORBID_ATTR: ['style', 'id', 'name'],
    // data-i18n* is how translateDom finds the app's strings: model markup must not be rewritten by it.
    ALLOW_DATA_ATTR: false,
  });
  decorateCode(fragment, final);
  for (const table of Array.from(fragment.querySelectorAll('table'))) {
    // Wide tables scroll sideways in their own box instead of crushing their columns.
    const wrap = h('div', { class: 'table-wrap' });
    table.replaceWith(wrap);
    wrap.append(table);
  }
  return fragment;
}

/** Wraps each code block with its language and a copy button, and highlights it. */
function decorateCode(root: DocumentFragment, final: boolean): void {
  for (const pre of Array.from(root.querySelectorAll('pre'))) {
    const code = pre.querySelector('code');
    if (!code) continue;
    const language = highlightCode(code, final);
    // localize(): the label follows a language switch (translateDom).
    const copy = localize(h('button', { type: 'button', class: 'copy-code' }), 'copy');
    const bar = h('div', { class: 'code-bar' }, h('span', { class: 'code-lang' }, language ?? ''), copy);
    const wrap = h('div', { class: 'code-block' });
    pre.replaceWith(wrap);
    wrap.append(bar, pre);
  }
}

/** A fence's opening line: indent, fence, info string. */
const FENCE_OPEN = /^( {0,3})(`{3,}|~{3,})([^\n]*)\n/;

/** A fenced code block whose closing fence (followed by a line end) has arrived. */
function isClosedFence(token: Token, followed: boolean): boolean {
  if (token.type !== 'code' || (token as Tokens.Code).codeBlockStyle === 'indented') return false;
  const open = FENCE_OPEN.exec(token.raw);
  if (!open) return false;
  const raw = token.raw.endsWith('\n') ? token.raw.slice(0, -1) : token.raw;
  if (!token.raw.endsWith('\n') && !followed) return false;
  const lastLine = raw.slice(raw.lastIndexOf('\n') + 1);
  return raw.length > open[0].length - 1 && closesFence(lastLine, open[2]);
}

function closesFence(line: string, fence: string): boolean {
  const m = /^ {0,3}(`{3,}|~{3,}) *$/.exec(line);
  return !!m && m[1][0] === fence[0] && m[1].length >= fence.length;
}

/** Blocks that a blank line ends for good (a list or indented code may go on after one). */
function endedByBlankLine(tokens: Token[], i: number): boolean {
  const next = tokens[i + 1];
  return next?.type === 'space' && /\n[ \t]*\n/.test(next.raw) && tokens[i].type !== 'list' && tokens[i].type !== 'code';
}

/**
 * How many leading tokens of the tail are final: no later character can change them. The last
 * block may still grow (a paragraph may become a heading or a table, a list may gain items, a
 * fence may still be open), so it stays open unless something ended it (a closed fence, a blank
 * line). While the last block's first line is incomplete, the block before it stays open too:
 * `#1 | x |` starts like a heading but is a row of the table above it.
 */
function stableBlockCount(tokens: Token[], tail: string): number {
  let last = tokens.length - 1;
  while (last >= 0 && tokens[last].type === 'space') last--;
  if (last < 0) return 0;
  const final = (i: number) => isClosedFence(tokens[i], i < tokens.length - 1) || endedByBlankLine(tokens, i);
  if (final(last)) return tokens.length;
  let start = 0;
  for (let i = 0; i < last; i++) start += tokens[i].raw.length;
  if (tail.indexOf('\n', start) >= 0) return last;
  let prev = last - 1;
  while (prev >= 0 && tokens[prev].type === 'space') prev--;
  return prev < 0 || final(prev) ? last : prev;
}

/** The one open block at the end of an answer, rendered incrementally while it streams. */
interface OpenBlock {
  /** The block's elements (put in the live part of the answer). */
  readonly nodes: Node;
  /** Least time between two renders while this block is open (the browser's layout of a big table grows with it). */
  readonly minIntervalMs: number;
  /** Renders `tail` (the answer from the block's start); false once the block is not (only) this any more. */
  update(tail: string): boolean;
}

/** Up to this many rows an open table re-renders every frame; above, at a rate that falls with its size. */
const TABLE_EVERY_FRAME_ROWS = 500;
/** Above that: this many ms between renders per 500 rows (16 ms: one frame), at most {@link TABLE_MAX_INTERVAL_MS}. */
const TABLE_INTERVAL_MS_PER_500_ROWS = 16;
const TABLE_MAX_INTERVAL_MS = 250;

/** Complete lines of a fence's body are highlighted and kept in pieces of this many lines. */
const FENCE_PIECE_LINES = 50;

/**
 * An open code fence: lines that arrived are kept, in pieces highlighted one at a time (so a
 * construct spanning two pieces may be coloured wrongly until the fence closes and the whole
 * block is rendered once more by marked); only the last piece is redone per frame.
 */
class OpenFence implements OpenBlock {
  static from(tail: string): OpenFence | undefined {
    const open = FENCE_OPEN.exec(tail);
    if (!open || (open[2][0] === '`' && open[3].includes('`'))) return undefined;
    return new OpenFence(open[0], open[1].length, open[2]);
  }

  readonly nodes: Node;
  readonly minIntervalMs = 0;
  private readonly code: HTMLElement;
  private readonly language?: string;
  private readonly tailPiece = h('span', {});
  /** Offset in the tail up to which lines are in kept pieces. */
  private kept: number;
  /** Offset in the tail up to which complete lines were checked for a closing fence. */
  private scanned: number;

  private constructor(private readonly opener: string, private readonly indent: number, private readonly fence: string) {
    this.nodes = renderMarkdown(marked.lexer(opener), false);
    this.code = (this.nodes as DocumentFragment).querySelector('code')!;
    // Its pieces are highlighted here; a late highlight.js must not rewrite the element under them.
    cancelHighlight(this.code);
    this.language = /\blanguage-([\w+-]+)/.exec(this.code.className)?.[1]?.toLowerCase();
    this.code.append(this.tailPiece);
    this.kept = this.scanned = opener.length;
  }

  update(tail: string): boolean {
    if (!tail.startsWith(this.opener)) return false;
    const end = tail.lastIndexOf('\n') + 1;
    for (let at = this.scanned; at < end;) {
      const next = tail.indexOf('\n', at) + 1;
      if (closesFence(tail.slice(at, next - 1), this.fence)) return false;
      at = next;
    }
    this.scanned = Math.max(this.scanned, end);
    if (closesFence(tail.slice(end), this.fence)) return false;
    // Keep whole pieces of complete lines.
    for (;;) {
      let at = this.kept;
      let lines = 0;
      for (; lines < FENCE_PIECE_LINES && at < end; lines++) at = tail.indexOf('\n', at) + 1;
      if (lines < FENCE_PIECE_LINES) break;
      this.tailPiece.before(this.piece(tail.slice(this.kept, at)));
      this.kept = at;
    }
    this.tailPiece.replaceChildren(this.piece(tail.slice(this.kept)));
    return true;
  }

  private piece(raw: string): HTMLElement {
    const text = this.indent > 0 ? raw.replace(new RegExp(`^ {1,${this.indent}}`, 'gm'), '') : raw;
    const span = h('span', {});
    const html = highlightedHtml(text, this.language);
    // highlight.js output is escaped text inside its own <span class="hljs-…"> markup.
    if (html !== undefined) span.innerHTML = html;
    else span.textContent = text;
    return span;
  }
}

/**
 * An open table: its header and delimiter row are kept; each complete new row is rendered once
 * (lexed by marked together with the header, so it looks exactly as in a full render) and
 * appended; only the incomplete last row is redone per frame.
 */
class OpenTable implements OpenBlock {
  static from(tail: string, token: Token): OpenTable | undefined {
    if (token.type !== 'table') return undefined;
    const headerEnd = tail.indexOf('\n') + 1;
    const delimiterEnd = headerEnd > 0 ? tail.indexOf('\n', headerEnd) + 1 : 0;
    if (delimiterEnd <= 0) return undefined;
    const head = tail.slice(0, delimiterEnd);
    const tokens = marked.lexer(head);
    if (tokens[0]?.type !== 'table') return undefined;
    return new OpenTable(head, tokens);
  }

  readonly nodes: Node;
  private readonly body = h('tbody', {});
  private partial: HTMLTableRowElement | undefined;
  /** Offset in the tail up to which complete lines are rows in `body`. */
  private scanned: number;

  /** The browser lays out every row of a table again when one is added: bound the rate for big ones. */
  get minIntervalMs(): number {
    const rows = this.body.rows.length;
    if (rows <= TABLE_EVERY_FRAME_ROWS) return 0;
    return Math.min(TABLE_MAX_INTERVAL_MS, (rows / 500) * TABLE_INTERVAL_MS_PER_500_ROWS);
  }

  private constructor(private readonly head: string, tokens: Token[]) {
    this.nodes = renderMarkdown(tokens, false);
    (this.nodes as DocumentFragment).querySelector('table')!.append(this.body);
    this.scanned = head.length;
  }

  update(tail: string): boolean {
    if (!tail.startsWith(this.head)) return false;
    const end = tail.lastIndexOf('\n') + 1;
    if (end > this.scanned) {
      const lines = tail.slice(this.scanned, end);
      const rows = this.rows(lines, lines.split('\n').length - 1);
      if (!rows) return false;
      this.partial?.remove();
      this.partial = undefined;
      this.body.append(...rows);
      this.scanned = end;
    }
    const rest = tail.slice(end);
    let partial: HTMLTableRowElement | undefined;
    if (rest !== '') {
      const rows = this.rows(rest, 1);
      if (!rows) return false;
      partial = rows[0];
    }
    this.partial?.remove();
    this.partial = partial;
    if (partial) this.body.append(partial);
    return true;
  }

  /** `lines` rendered as rows under this header, or undefined unless they are exactly `count` rows. */
  private rows(lines: string, count: number): HTMLTableRowElement[] | undefined {
    const tokens = marked.lexer(this.head + lines);
    const table = tokens[0] as Tokens.Table | undefined;
    if (table?.type !== 'table' || table.rows.length !== count || tokens.slice(1).some((x) => x.type !== 'space')) return undefined;
    const fragment = renderMarkdown([table], false);
    return Array.from(fragment.querySelectorAll<HTMLTableRowElement>('tbody > tr'));
  }
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
  private open: OpenBlock | undefined;
  private lastRender = 0;

  /**
   * `onRender` runs after each render; `cursor` (the typing indicator) is kept at the end of the
   * text while the answer streams, and put back after this element when it is finished.
   */
  constructor(private readonly onRender: () => void = () => undefined, private readonly cursor?: HTMLElement) {
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
    if (!this.scheduled) this.scheduled = requestAnimationFrame(() => this.frame());
  }

  /** A frame with new text: render it, unless the open block asks for fewer renders. */
  private frame(): void {
    if (this.open && performance.now() - this.lastRender < this.open.minIntervalMs) {
      this.scheduled = requestAnimationFrame(() => this.frame());
      return;
    }
    this.render(false);
  }

  /** Replaces everything (e.g. the stored text read over HTTP) and renders it at once. */
  replace(text: string, final: boolean): void {
    this.text = text.replace(/\r/g, '');
    this.committed = 0;
    this.open = undefined;
    this.done.replaceChildren();
    this.render(final);
  }

  /** Renders what has arrived now instead of on the next frame (still streaming). */
  flush(): void {
    this.render(false);
  }

  /** Renders what is left now, with full highlighting. */
  finish(): void {
    this.render(true);
  }

  private render(final: boolean): void {
    if (this.scheduled) cancelAnimationFrame(this.scheduled);
    this.scheduled = 0;
    const start = performance.now();
    if (final || !this.open?.update(this.text.slice(this.committed))) {
      this.open = undefined;
      this.renderTail(final);
    }
    if (measures++ < MAX_MEASURES) performance.measure(MEASURE, { start, end: performance.now() });
    this.placeCursor(final);
    this.onRender();
    this.lastRender = performance.now();
  }

  private renderTail(final: boolean): void {
    let tail = this.text.slice(this.committed);
    let tokens: Token[] = marked.lexer(tail);
    const stable = final ? tokens.length : stableBlockCount(tokens, tail);
    if (stable > 0) {
      const finished = tokens.slice(0, stable);
      this.done.append(renderMarkdown(finished, true));
      const length = finished.reduce((n, tok) => n + tok.raw.length, 0);
      this.committed += length;
      tail = tail.slice(length);
      tokens = tokens.slice(stable);
    }
    const blocks = tokens.filter((tok) => tok.type !== 'space');
    if (!final && blocks.length === 1 && tokens[0] === blocks[0]) {
      const open = blocks[0].type === 'code' ? OpenFence.from(tail) : OpenTable.from(tail, blocks[0]);
      if (open?.update(tail)) {
        this.open = open;
        this.live.replaceChildren(open.nodes);
        return;
      }
    }
    this.live.replaceChildren(renderMarkdown(tokens, final));
  }

  /** Puts the typing cursor after the last character shown, inside the innermost last block. */
  private placeCursor(final: boolean): void {
    const cursor = this.cursor;
    if (!cursor) return;
    if (final) {
      if (cursor.parentElement !== this.element.parentElement) this.element.after(cursor);
      return;
    }
    let target: Element | null = this.live.lastElementChild ?? this.done.lastElementChild;
    if (!target) return;
    for (;;) {
      const inner: Element | null = target instanceof HTMLTableElement ? target.rows[target.rows.length - 1]?.lastElementChild ?? null
        : target.localName === 'pre' ? target.querySelector('code')
          : /^(ul|ol|blockquote|div|li)$/.test(target.localName) ? target.lastElementChild
            : null;
      if (!inner || (target.localName === 'li' && !/^(p|ul|ol|pre|div|blockquote|h[1-6])$/.test(inner.localName))) break;
      target = inner;
    }
    if (target.lastChild !== cursor) target.append(cursor);
  }
}
