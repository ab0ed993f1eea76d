/**
 * The conversation list: newest first, grouped Today / Yesterday / Previous 7 days / Older (by
 * updatedAt, local time), paged ("Load more" and scrolling to the end), rename and delete through
 * modal dialogs, titles updated live from `title` frames.
 */
import type { HistoryApi } from './api';
import { DATE_GROUPS, dateGroup, type DateGroup } from './date-groups';
import { byId, h } from './dom';
import { localize, t, type TextKey } from './i18n';
import { icon } from './icons';
import type { ConversationSummary } from '../contract/protocol';

/** Sidebar callbacks. */
export interface SidebarEvents {
  /** A conversation was deleted (the view leaves it when it was open). */
  deleted(conversationId: string): void;
  /** A conversation was renamed. */
  renamed(conversation: ConversationSummary): void;
  /** Something failed; show it. */
  error(error: unknown): void;
}

/** The conversation sidebar. */
export class Sidebar {
  private readonly list = byId('conversation-list');
  private readonly groups = new Map<DateGroup, HTMLUListElement>();
  private readonly more = byId<HTMLButtonElement>('more-conversations');
  private readonly empty = byId('no-conversations');
  private readonly items = new Map<string, ConversationSummary>();
  /** Conversations renamed here: a generated title can only be older than the person's rename. */
  private readonly renamedHere = new Set<string>();
  private cursor?: string;
  private loading = false;
  private current?: string;

  constructor(private readonly api: HistoryApi, private readonly events: SidebarEvents) {
    for (const group of DATE_GROUPS) {
      const heading = localize(h('h3', { class: 'conv-group-title', id: `conv-group-${group}` }), GROUP_TITLE[group]);
      const ul = h('ul', { 'class': 'conv-list', 'aria-labelledby': heading.id });
      this.groups.set(group, ul);
      this.list.append(h('section', { 'class': 'conv-group', 'data-group': group, 'hidden': true }, heading, ul));
    }
    this.more.addEventListener('click', () => void this.loadMore());
    // Scrolling the list to its end loads the next page too.
    new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting) && this.cursor) void this.loadMore();
    }).observe(this.more);
  }

  /** Loads the first page. */
  async reload(): Promise<void> {
    this.items.clear();
    for (const ul of this.groups.values()) ul.replaceChildren();
    this.showGroups();
    this.cursor = undefined;
    await this.loadPage(undefined);
  }

  /** Highlights the open conversation. */
  select(conversationId: string | undefined): void {
    this.current = conversationId;
    for (const a of this.list.querySelectorAll<HTMLAnchorElement>('a.conv-link')) {
      if (a.dataset.id === conversationId) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
  }

  /** What we know of a conversation. */
  summary(conversationId: string): ConversationSummary | undefined {
    return this.items.get(conversationId);
  }

  /** The title we know for a conversation. */
  title(conversationId: string): string | undefined {
    return this.items.get(conversationId)?.title;
  }

  /** Adds or updates a conversation and moves it to the top (it was just used). */
  upsert(conversation: ConversationSummary, toTop = true): void {
    const known = this.items.get(conversation.conversationId);
    const merged = { ...known, ...conversation, title: conversation.title || known?.title || '' };
    this.items.set(merged.conversationId, merged);
    const existing = this.list.querySelector<HTMLLIElement>(`li[data-id="${CSS.escape(merged.conversationId)}"]`);
    // Updated in place, and moved only when it is not already first of its group: replacing or
    // moving the row would take keyboard focus away from its buttons.
    const li = existing ?? this.row(merged);
    if (existing) this.label(existing, merged);
    if (!existing || toTop) this.place(li, merged, 'top');
    this.empty.hidden = true;
    this.select(this.current);
  }

  /**
   * Applies a generated title. The server stores one only while the title was never set by a
   * person, but its `title` frame can overtake a rename made here meanwhile: the rename wins.
   */
  setTitle(conversationId: string, title: string): void {
    const known = this.items.get(conversationId);
    if (known && !this.renamedHere.has(conversationId)) this.upsert({ ...known, title }, false);
  }

  /** Re-renders labels after a language switch. */
  retranslate(): void {
    for (const c of this.items.values()) {
      const li = this.list.querySelector<HTMLLIElement>(`li[data-id="${CSS.escape(c.conversationId)}"]`);
      if (li) this.label(li, c);
    }
  }

  /** Puts a row in its date group, first or last, unless it is there already. */
  private place(li: HTMLLIElement, c: ConversationSummary, where: 'top' | 'end'): void {
    const ul = this.groups.get(dateGroup(c.updatedAt))!;
    if (where === 'top' && ul.firstElementChild !== li) ul.prepend(li);
    else if (where === 'end' && li.parentElement !== ul) ul.append(li);
    this.showGroups();
  }

  /** Shows the groups that have rows. */
  private showGroups(): void {
    for (const ul of this.groups.values()) ul.parentElement!.hidden = ul.childElementCount === 0;
  }

  private async loadMore(): Promise<void> {
    if (this.cursor) await this.loadPage(this.cursor);
  }

  private async loadPage(cursor: string | undefined): Promise<void> {
    if (this.loading) return;
    this.loading = true;
    try {
      const page = await this.api.listConversations(cursor);
      for (const c of page.items) {
        if (this.items.has(c.conversationId)) continue;
        this.items.set(c.conversationId, c);
        // Pages come newest first, so each row goes last in its group.
        this.place(this.row(c), c, 'end');
      }
      this.cursor = page.nextCursor;
      this.more.hidden = !this.cursor;
      this.empty.hidden = this.items.size > 0;
      this.select(this.current);
    } catch (e) {
      this.events.error(e);
    } finally {
      this.loading = false;
    }
  }

  private row(c: ConversationSummary): HTMLLIElement {
    const link = h('a', { 'class': 'conv-link', 'href': `#/c/${c.conversationId}`, 'data-id': c.conversationId });
    const rename = h('button', { type: 'button', class: 'icon-btn rename' }, icon('pencil'));
    const remove = h('button', { type: 'button', class: 'icon-btn danger remove' }, icon('trash'));
    rename.addEventListener('click', () => void this.rename(c.conversationId));
    remove.addEventListener('click', () => void this.remove(c.conversationId));
    const li = h('li', { 'class': 'conv', 'data-id': c.conversationId }, link, h('span', { class: 'conv-actions' }, rename, remove));
    this.label(li, c);
    return li;
  }

  /** Sets a row's title and its buttons' accessible names (which name the conversation). */
  private label(li: HTMLLIElement, c: ConversationSummary): void {
    const title = c.title || t('untitled');
    li.querySelector('.conv-link')!.textContent = title;
    for (const [selector, key] of [['.rename', 'rename'], ['.remove', 'delete']] as const) {
      const button = li.querySelector<HTMLButtonElement>(selector)!;
      button.setAttribute('aria-label', `${t(key)}: ${title}`);
      button.title = t(key);
    }
  }

  private async rename(conversationId: string): Promise<void> {
    const dialog = byId<HTMLDialogElement>('rename-dialog');
    const input = byId<HTMLInputElement>('rename-input');
    input.value = this.items.get(conversationId)?.title ?? '';
    const answer = await showDialog(dialog);
    const title = input.value.trim();
    if (answer !== 'save' || !title) return;
    try {
      this.renamedHere.add(conversationId);
      const updated = await this.api.rename(conversationId, title);
      this.upsert({ ...updated, title: updated.title ?? title }, false);
      this.events.renamed(this.items.get(conversationId)!);
    } catch (e) {
      this.events.error(e);
    }
  }

  private async remove(conversationId: string): Promise<void> {
    const dialog = byId<HTMLDialogElement>('delete-dialog');
    byId('delete-name').textContent = this.items.get(conversationId)?.title || t('untitled');
    if ((await showDialog(dialog)) !== 'delete') return;
    try {
      await this.api.remove(conversationId);
      this.items.delete(conversationId);
      this.list.querySelector(`li[data-id="${CSS.escape(conversationId)}"]`)?.remove();
      this.showGroups();
      this.empty.hidden = this.items.size > 0;
      this.events.deleted(conversationId);
    } catch (e) {
      this.events.error(e);
    }
  }
}

const GROUP_TITLE: Record<DateGroup, TextKey> = { today: 'groupToday', yesterday: 'groupYesterday', week: 'groupWeek', older: 'groupOlder' };

/** Opens a modal `<dialog>` and resolves with the value of the button that closed it. */
function showDialog(dialog: HTMLDialogElement): Promise<string> {
  dialog.returnValue = '';
  return new Promise((resolve) => {
    const onClose = () => {
      // `close` is dispatched in a later task: one left over from closing this dialog a moment
      // ago can arrive after it was opened again, and must not answer for the new opening.
      if (dialog.open) return;
      dialog.removeEventListener('close', onClose);
      resolve(dialog.returnValue);
    };
    dialog.addEventListener('close', onClose);
    dialog.showModal();
  });
}
