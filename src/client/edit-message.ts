/**
 * The inline editor of a sent message: a text box in place of the message that behaves as the
 * message box does (it is a {@link Composer}: Enter sends, never while an IME is composing;
 * Shift+Enter breaks the line; the character limit is shown and enforced). Escape (not the one
 * that cancels a composition) or Cancel puts the message back. The message's files (PROTOCOL §15)
 * show above the text as the message shows them, each with a remove button; the edit is sent
 * with those left, in their order (adding files here is not offered). Its own chunk, fetched on
 * the first Edit.
 */
import type { HistoryApi } from './api';
import { closeIcon, renderAttachments } from './attachment-view';
import type { Composer as ComposerClass } from './composer';
import type { h as H } from './dom';
import type { labelled as Labelled, localize as Localize } from './i18n';
import type { imeHandles as ImeHandles, trackComposition as TrackComposition } from './keys';
import type { MessageAttachment } from '../contract/attachments';

/**
 * What the editor uses of the page. Passed in rather than imported: a module both the page and
 * this chunk import would move into a chunk of its own, and the first load would grow.
 */
export interface EditorDeps {
  Composer: typeof ComposerClass;
  h: typeof H;
  labelled: typeof Labelled;
  localize: typeof Localize;
  imeHandles: typeof ImeHandles;
  trackComposition: typeof TrackComposition;
  /** The history API, for the files' thumbnails and downloads. */
  api: Pick<HistoryApi, 'call'>;
}

/**
 * Opens the editor on user message `li`, which has `files`. `submit` sends the new text (replacing
 * `li`) with the files kept (undefined: none) and says whether it went; when it did not (an answer
 * is being written), the editor keeps the text and the files.
 */
export function openEditor(li: HTMLElement, maxChars: number, submit: (text: string, files?: MessageAttachment[]) => boolean,
  deps: EditorDeps, files: readonly MessageAttachment[] = []): void {
  const { Composer, h, labelled, localize, imeHandles, trackComposition } = deps;
  const open = li.querySelector<HTMLElement>('.msg-editor textarea');
  if (open) return open.focus();
  // The message's own files hide by CSS while the editor is open (its placeholder may be replaced meanwhile).
  const shown = [...li.querySelectorAll<HTMLElement>('.user-text, .user-actions')];
  const input = labelled(h('textarea', { rows: '2' }), 'editMessage');
  input.value = li.querySelector('.user-text')?.textContent ?? '';
  const send = localize(h('button', { type: 'submit', class: 'btn primary' }), 'send');
  const cancel = localize(h('button', { type: 'button', class: 'btn' }), 'cancel');
  const counter = h('div', { class: 'char-count' });
  const kept = [...files];
  const list = h('ul', { class: 'edit-files' });
  for (const a of files) {
    // The name is text (the view sets it as text too), never markup.
    const remove = h('button', { type: 'button', class: 'icon-btn edit-file-remove' }, closeIcon(),
      localize(h('span', { class: 'visually-hidden' }), 'removeFile', { name: a.name }));
    const item = h('li', { class: 'edit-file' }, renderAttachments([a], deps), remove);
    remove.addEventListener('click', () => {
      const at = kept.indexOf(a);
      kept.splice(at, 1);
      item.remove();
      // Focus stays among the files (the next one's remove button), else goes to the text.
      (list.querySelectorAll<HTMLElement>('.edit-file-remove')[Math.min(at, kept.length - 1)] ?? input).focus();
    });
    list.append(item);
  }
  const form = h('form', { class: 'msg-editor' }, files.length ? list : undefined, input, counter, h('div', { class: 'edit-buttons' }, cancel, send));
  const close = () => {
    form.remove();
    for (const el of shown) el.hidden = false;
    li.querySelector<HTMLElement>('.msg-edit')?.focus();
  };
  for (const el of shown) el.hidden = true;
  li.append(form);
  const onSend = (text: string) => {
    if (submit(text, kept.length ? [...kept] : undefined)) return;
    input.value = text;
    composer.refresh();
  };
  const composer: ComposerClass = new Composer({ form, input, send, stop: h('button'), counter, onSend, onStop: close }, maxChars);
  const ime = trackComposition(input);
  input.addEventListener('keydown', (e) => {
    if (e.key !== 'Escape' || imeHandles(e, ime)) return;
    e.preventDefault();
    e.stopPropagation();
    close();
  });
  cancel.addEventListener('click', close);
  input.focus();
  input.setSelectionRange(input.value.length, input.value.length);
}
