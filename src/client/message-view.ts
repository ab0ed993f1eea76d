/**
 * How one message looks: a user's message is plain text (never parsed) with Edit and its versions;
 * an assistant's answer is streamed Markdown with its token usage, status, actions (Copy,
 * Regenerate) and versions underneath.
 */
import type { AttachmentViewDeps } from './attachment-view';
import { h } from './dom';
import { errorKey, labelled, localize, type TextKey } from './i18n';
import { icon } from './icons';
import { StreamingMarkdown } from './markdown';
import { modelTag } from './models';
import { versionSwitcher } from './versions';
import type { MessageAttachment } from '../contract/attachments';
import type { MessageStatus, MessageVersions as Versions, StopReason, Usage } from '../contract/protocol';

/**
 * A user's message in the list; `parentId`: the message it follows (PROTOCOL §13), when known;
 * `files`: its attachments' view ({@link attachmentsSlot}), shown above the text.
 */
export function userMessage(text: string, messageId?: string, parentId?: string, versions?: Versions, files?: HTMLElement): HTMLLIElement {
  const body = h('div', { class: 'bubble user-text' }, text);
  const edit = labelled(h('button', { type: 'button', class: 'icon-btn msg-edit' }, icon('pencil')), 'editMessage');
  const li = h(
    'li',
    { 'class': 'msg user', 'data-message-id': messageId, 'data-parent-id': parentId },
    localize(h('span', { class: 'who visually-hidden' }), 'you'),
    files,
    body,
  );
  li.append(h('div', { class: 'msg-actions user-actions' }, versionSwitcher(li, versions), edit));
  return li;
}

/**
 * A message's files (PROTOCOL §15): a placeholder of their size (thumbnails keep their aspect
 * ratio, documents their row height), replaced by attachment-view.ts, its own chunk, once loaded.
 */
export function attachmentsSlot(list: MessageAttachment[], api: AttachmentViewDeps['api']): HTMLElement {
  const images = h('div', { class: 'attach-images' });
  const docs = h('div', { class: 'attach-docs' });
  for (const a of list) {
    const image = a.contentType.startsWith('image/');
    const box = h('span', { class: image ? 'attach-ph attach-thumb' : 'attach-ph attach-doc' });
    if (a.width && a.height) box.style.aspectRatio = `${a.width}/${a.height}`;
    (image ? images : docs).append(box);
  }
  const slot = h('div', { 'class': 'attachments', 'aria-busy': 'true' }, images, docs);
  import('./attachment-view.js').then((m) => slot.replaceWith(m.renderAttachments(list, { api, h, localize })), () => undefined);
  return slot;
}

/** UI text keys that {@link AssistantMessage.showError} takes besides protocol error codes. */
const NOT_CODES: Partial<Record<TextKey, true>> = { notConfirmed: true, tooManyVersions: true, attachNotFound: true };

const NOTE_FOR: Partial<Record<StopReason | MessageStatus, TextKey>> = {
  stopped: 'stopped',
  interrupted: 'interrupted',
  max_tokens: 'maxTokens',
  content_filtered: 'contentFiltered',
};

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
  private versions?: Versions;
  /** The model that writes it (from `accepted` or the stored item). */
  model?: string;

  constructor(onRender: () => void, replyId?: string, parentId?: string) {
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
    if (parentId) this.element.dataset.parentId = parentId;
  }

  /** The answer's sibling versions (shown with its actions). */
  setVersions(versions?: Versions): void {
    this.versions = versions;
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
    this.meta.append(usageLine, this.actions());
  }

  /** Copy (the Markdown source), Regenerate (a new sibling answer) and the versions. */
  private actions(): HTMLElement {
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
    const regenerate = labelled(h('button', { type: 'button', class: 'icon-btn answer-regenerate' }, icon('retry')), 'regenerate');
    return h('span', { class: 'msg-actions' }, copy, regenerate, versionSwitcher(this.element, this.versions), status);
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
