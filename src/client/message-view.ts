/**
 * How one message looks: a user's message is plain text (never parsed); an assistant's answer is
 * streamed Markdown with its token usage and status underneath.
 */
import { h } from './dom';
import { errorKey, labelled, localize, type TextKey } from './i18n';
import { icon } from './icons';
import { StreamingMarkdown } from './markdown';
import { modelTag } from './models';
import type { MessageStatus, StopReason, Usage } from '../contract/protocol';

/** A user's message in the list. */
export function userMessage(text: string, messageId?: string): HTMLLIElement {
  const body = h('div', { class: 'bubble user-text' }, text);
  const li = h('li', { 'class': 'msg user', 'data-message-id': messageId }, localize(h('span', { class: 'who visually-hidden' }), 'you'), body);
  return li;
}

/** UI text keys that {@link AssistantMessage.showError} takes besides protocol error codes. */
const NOT_CODES: Partial<Record<TextKey, true>> = { notConfirmed: true };

const NOTE_FOR: Partial<Record<StopReason | MessageStatus, TextKey>> = {
  stopped: 'stopped',
  interrupted: 'interrupted',
  max_tokens: 'maxTokens',
  content_filtered: 'contentFiltered',
};

/** Endings after which the same question can be asked again (a new message; failed turns are not in the model's history). */
const RETRY_AFTER = new Set<StopReason | MessageStatus>(['error', 'stopped', 'interrupted']);
/** How long "Copied" shows after a copy. */
const COPIED_MS = 2000;

/**
 * Usage as the server reported it. Bedrock reports usage only at the end of a stream, so a reply
 * stopped or failed before that has none: stored without one, and sent in `done` as 0 in / 0 out
 * (a reported usage always counts input tokens).
 */
export function reportedUsage(usage?: Usage): Usage | undefined {
  return usage && (usage.inputTokens > 0 || usage.outputTokens > 0) ? usage : undefined;
}

/** An assistant's answer in the list: its Markdown, status note, usage, actions and error line. */
export class AssistantMessage {
  /** The list item. */
  readonly element: HTMLLIElement;
  /** The answer's Markdown (append deltas here). */
  readonly markdown: StreamingMarkdown;
  private readonly meta: HTMLElement;
  private readonly errorLine: HTMLElement;
  /** The model that writes it (from `accepted` or the stored item). */
  model?: string;

  constructor(onRender: () => void, replyId?: string) {
    const typing = h('span', { 'class': 'typing', 'aria-hidden': 'true' });
    this.markdown = new StreamingMarkdown(onRender, typing);
    this.meta = h('div', { class: 'msg-meta' });
    this.errorLine = h('div', { class: 'msg-error', role: 'alert', hidden: true });
    this.element = h(
      'li',
      { 'class': 'msg assistant', 'aria-busy': 'true' },
      localize(h('span', { class: 'who visually-hidden' }), 'assistant'),
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
    if (note) this.meta.append(localize(h('span', { class: 'note' }), note));
    const reported = reportedUsage(usage);
    const usageLine = h('span', { class: 'usage' });
    if (reported) localize(usageLine, 'usage', { input: reported.inputTokens, output: reported.outputTokens });
    else localize(usageLine, 'usageNotReported');
    if (this.model) this.meta.append(modelTag('span', this.model, { class: 'model-name' }));
    this.meta.append(usageLine, this.actions(RETRY_AFTER.has(reason)));
  }

  /** Copy (the Markdown source), and Retry after a failed or stopped answer. */
  private actions(retry: boolean): HTMLElement {
    const copy = labelled(h('button', { type: 'button', class: 'icon-btn answer-copy' }, icon('copy')), 'copyAnswer');
    const status = h('span', { 'class': 'visually-hidden', 'aria-live': 'polite' });
    let timer: ReturnType<typeof setTimeout> | undefined;
    copy.addEventListener('click', () => {
      void navigator.clipboard.writeText(this.markdown.value).then(() => {
        copy.replaceChildren(icon('check'));
        copy.classList.add('done');
        localize(status, 'copied');
        clearTimeout(timer);
        timer = setTimeout(() => {
          copy.replaceChildren(icon('copy'));
          copy.classList.remove('done');
          status.replaceChildren();
          delete status.dataset.i18n;
        }, COPIED_MS);
      }, () => undefined);
    });
    const bar = h('span', { class: 'msg-actions' }, copy, status);
    if (retry) bar.append(labelled(h('button', { type: 'button', class: 'icon-btn answer-retry' }, icon('retry')), 'retryAnswer'));
    return bar;
  }

  /**
   * Shows an error under the answer (a protocol error code, or a UI text key), with a retry
   * button when `retry` is given.
   */
  showError(code: string, retry?: () => void): void {
    this.element.setAttribute('aria-busy', 'false');
    this.element.classList.add('failed');
    this.errorLine.hidden = false;
    const key: TextKey = code in NOT_CODES ? (code as TextKey) : errorKey(code);
    this.errorLine.replaceChildren(localize(h('span', {}), key));
    if (retry) {
      const button = localize(h('button', { type: 'button', class: 'retry' }), 'retry');
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
