/**
 * Title search in the sidebar (PROTOCOL §2 `q`): typing in the search box asks the server
 * (debounced) and shows the matching conversations in place of the date groups; Escape or an
 * empty box brings the groups back. The server reads a bounded number of conversations a request,
 * so "Search older conversations" continues with its cursor, and "no results" is said only once
 * the whole list was searched. Its own chunk, fetched when the search box is first focused or
 * typed in.
 */
import type { HistoryApi } from './api';
import type { byId as ById, h as H } from './dom';
import type { localize as Localize } from './i18n';
import type { ConversationSummary } from '../contract/protocol';
import type { checkSearchQuery as CheckSearchQuery } from '../contract/search';

/**
 * What the search uses of the page. Passed in rather than imported: a module both the page and
 * this chunk import would move into a chunk of its own, and the first load would grow.
 */
export interface SearchDeps {
  api: HistoryApi;
  onError: (e: unknown) => void;
  h: typeof H;
  byId: typeof ById;
  localize: typeof Localize;
  checkSearchQuery: typeof CheckSearchQuery;
  /** MAX_SEARCH_QUERY_CHARS. */
  maxChars: number;
}

/** Typing pauses this long before the search is asked for. */
export const SEARCH_DEBOUNCE_MS = 250;

/** The sidebar's search box and its results. */
export class SidebarSearch {
  private readonly input: HTMLInputElement;
  private readonly browse: HTMLElement;
  private readonly found: HTMLElement;
  private readonly results: HTMLUListElement;
  private readonly none: HTMLElement;
  private readonly more: HTMLButtonElement;
  private timer?: ReturnType<typeof setTimeout>;
  /** Bumped by every new query: an answer to an older one is dropped. */
  private generation = 0;
  private query = '';
  private cursor?: string;

  /** Wires the box; text typed before this chunk arrived is searched for too. */
  constructor(private readonly deps: SearchDeps) {
    const { byId } = deps;
    this.input = byId<HTMLInputElement>('conv-search');
    this.browse = byId('conv-browse');
    this.found = byId('conv-found');
    this.results = byId<HTMLUListElement>('search-results');
    this.none = byId('no-results');
    this.more = byId<HTMLButtonElement>('more-results');
    this.input.maxLength = deps.maxChars;
    this.input.addEventListener('input', () => this.typed());
    if (this.input.value) this.typed();
    this.input.addEventListener('keydown', (e) => {
      // Escape clears a query; on an empty box it goes on to close the phone drawer.
      if (e.key !== 'Escape' || e.shiftKey || this.input.value === '') return;
      e.preventDefault();
      e.stopPropagation();
      this.clear();
    });
    this.more.addEventListener('click', () => void this.page(this.generation));
  }

  /** The box changed: search once typing pauses. */
  private typed(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.update(), SEARCH_DEBOUNCE_MS);
  }

  /** Empties the box and shows the date groups again. */
  clear(): void {
    clearTimeout(this.timer);
    this.input.value = '';
    this.update();
  }

  /** A deleted conversation leaves the results too. */
  forget(conversationId: string): void {
    this.results.querySelector(`li[data-id="${CSS.escape(conversationId)}"]`)?.remove();
  }

  /** Starts the search the box now asks for, or ends searching when it asks for none. */
  private update(): void {
    const checked = this.deps.checkSearchQuery(this.input.value);
    const key = 'key' in checked ? this.input.value.trim() : '';
    if (key === this.query) return;
    this.generation++;
    this.query = key;
    this.cursor = undefined;
    this.results.replaceChildren();
    this.none.hidden = true;
    this.more.hidden = true;
    this.browse.hidden = key !== '';
    this.found.hidden = key === '';
    if (key) void this.page(this.generation);
  }

  /** Loads the next page of the current query's results (first or after the cursor). */
  private async page(generation: number): Promise<void> {
    this.more.hidden = true;
    this.results.setAttribute('aria-busy', 'true');
    try {
      const page = await this.deps.api.searchConversations(this.query, this.cursor);
      if (generation !== this.generation) return;
      for (const c of page.items) this.results.append(this.row(c));
      this.cursor = page.nextCursor;
      this.more.hidden = !this.cursor;
      this.none.hidden = Boolean(this.cursor) || this.results.childElementCount > 0;
    } catch (e) {
      if (generation === this.generation) this.deps.onError(e);
    } finally {
      if (generation === this.generation) this.results.setAttribute('aria-busy', 'false');
    }
  }

  /** A result: a link to the conversation, titled as the list titles it. */
  private row(c: ConversationSummary): HTMLLIElement {
    const { h, localize } = this.deps;
    const link = h('a', { 'class': 'conv-link', 'href': `#/c/${c.conversationId}`, 'data-id': c.conversationId });
    if (c.title) link.textContent = c.title;
    else localize(link, 'untitled');
    return h('li', { 'class': 'conv', 'data-id': c.conversationId }, link);
  }
}
