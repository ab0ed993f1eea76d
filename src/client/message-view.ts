/**
 * How one message looks: a user's message is plain text (never parsed); an assistant's answer is
 * streamed Markdown with its token usage and status underneath.
 */
import { h } from './dom';
import { t, type TextKey } from './i18n';
import { StreamingMarkdown } from './markdown';
import type { MessageStatus, StopReason, Usage } from '../contract/protocol';

/** A user's message in the list. */
export function userMessage(text: string, messageId?: string): HTMLLIElement {
  const body = h('div', { class: 'bubble user-text' }, text);
  const li = h('li', { 'class': 'msg user', 'data-message-id': messageId }, h('span', { class: 'who visually-hidden' }, t('you')), body);
  return li;
}

const NOTE_FOR: Partial<Record<StopReason | MessageStatus, TextKey>> = {
  stopped: 'stopped',
  interrupted: 'interrupted',
  max_tokens: 'maxTokens',
  content_filtered: 'contentFiltered',
};

/** An assistant's answer in the list: its Markdown, status note, usage and error line. */
export class AssistantMessage {
  /** The list item. */
  readonly element: HTMLLIElement;
  /** The answer's Markdown (append deltas here). */
  readonly markdown: StreamingMarkdown;
  private readonly meta: HTMLElement;
  private readonly errorLine: HTMLElement;

  constructor(onRender: () => void, replyId?: string) {
    const typing = h('span', { 'class': 'typing', 'aria-hidden': 'true' });
    this.markdown = new StreamingMarkdown(onRender, typing);
    this.meta = h('div', { class: 'msg-meta' });
    this.errorLine = h('div', { class: 'msg-error', role: 'alert', hidden: true });
    this.element = h(
      'li',
      { 'class': 'msg assistant', 'aria-busy': 'true' },
      h('span', { class: 'who visually-hidden' }, t('assistant')),
      h('div', { class: 'bubble' }, this.markdown.element, typing),
      this.errorLine,
      this.meta,
    );
    if (replyId) this.setReplyId(replyId);
  }

  /** Records which reply this is (known once the server accepted the message). */
  setReplyId(replyId: string): void {
    this.element.dataset.replyId = replyId;
  }

  /** Marks the answer finished, with why it ended and what it cost. */
  finish(reason: StopReason | MessageStatus, usage?: Usage): void {
    this.markdown.finish();
    this.element.setAttribute('aria-busy', 'false');
    this.element.classList.add('finished');
    this.element.dataset.status = reason;
    this.meta.replaceChildren();
    const note = NOTE_FOR[reason];
    if (note) this.meta.append(h('span', { class: 'note' }, t(note)));
    if (usage) {
      this.meta.append(h('span', { class: 'usage' }, t('usage', { input: usage.inputTokens, output: usage.outputTokens })));
    }
  }

  /** Shows an error under the answer, with a retry button when `retry` is given. */
  showError(text: string, retry?: () => void): void {
    this.element.setAttribute('aria-busy', 'false');
    this.element.classList.add('failed');
    this.errorLine.hidden = false;
    this.errorLine.replaceChildren(h('span', {}, text));
    if (retry) {
      const button = h('button', { type: 'button', class: 'retry' }, t('retry'));
      button.addEventListener('click', () => {
        this.clearError();
        retry();
      });
      this.errorLine.append(button);
    }
  }

  /** Hides the error line again (a retry is under way). */
  clearError(): void {
    this.element.classList.remove('failed');
    this.element.setAttribute('aria-busy', 'true');
    this.errorLine.hidden = true;
    this.errorLine.replaceChildren();
  }
}
