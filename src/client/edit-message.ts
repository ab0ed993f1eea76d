/**
 * The inline editor of a sent message: a text box in place of the message that behaves as the
 * message box does (it is a {@link Composer}: Enter sends, never while an IME is composing;
 * Shift+Enter breaks the line; the character limit is shown and enforced). Escape (not the one
 * that cancels a composition) or Cancel puts the message back. The message's files (PROTOCOL §15)
 * show above the text as the message shows them, each with a remove button. When config.json
 * offers attachments, files can be added as in the composer (the attach button, or a paste or drop
 * on the editor, which the composer then does not get), uploaded by the same code (attachments.ts,
 * with the editor's strip and send); the edit is sent with the kept files, in their order, then
 * the added ones that are ready. Its own chunk, fetched on the first Edit.
 */
import type { HistoryApi } from './api';
import { closeIcon, renderAttachments } from './attachment-view';
import type { Attachments } from './attachments';
import type { Composer as ComposerClass } from './composer';
import type { h as H } from './dom';
import type { Lang, labelled as Labelled, localize as Localize } from './i18n';
import type { imeHandles as ImeHandles, trackComposition as TrackComposition } from './keys';
import type { MessageAttachment } from '../contract/attachments';
import type { ClientAttachmentsConfig } from '../contract/protocol';

/** What adding files takes from the page; absent when config.json offers no attachments. */
export interface EditorAttach {
  config: ClientAttachmentsConfig;
  /** The file picker's `accept`. */
  accept: string;
  /** The events that can bring files (paste, drag), and the files one carries (undefined: none, e.g. a text paste). */
  events: readonly string[];
  lang(): Lang;
  eventFiles(e: Event): File[] | undefined;
  /** The attachments chunk could not be fetched. */
  loadFailed(): void;
}

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
  /** The history API, for the files' thumbnails and downloads (and uploads). */
  api: Pick<HistoryApi, 'call'>;
  attach?: EditorAttach;
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
  const adding = deps.attach && addFiles(deps, deps.attach, input, () => composer, () => kept);
  const form = h('form', { class: 'msg-editor' }, files.length ? list : undefined, adding?.strip, input, counter,
    h('div', { class: 'edit-buttons' }, adding?.button, adding?.picker, cancel, send));
  adding?.listen(form);
  const close = () => {
    adding?.close();
    form.remove();
    for (const el of shown) el.hidden = false;
    li.querySelector<HTMLElement>('.msg-edit')?.focus();
  };
  for (const el of shown) el.hidden = true;
  li.append(form);
  const onSend = (text: string) => {
    const all = [...kept, ...adding?.ready() ?? []];
    if (submit(text, all.length ? all : undefined)) return adding?.close();
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

/**
 * The editor's added files: an attach button with its picker, a strip, and paste and drop on the
 * editor (handled here and kept from the composer's document-wide listeners). The attachments
 * chunk is fetched with the first file; send waits meanwhile.
 */
function addFiles(deps: EditorDeps, attach: EditorAttach, input: HTMLTextAreaElement, composer: () => ComposerClass,
  kept: () => readonly MessageAttachment[]) {
  const { h, labelled, api, localize } = deps;
  const strip = h('ul', { class: 'attach-strip', hidden: true });
  const button = labelled(h('button', { type: 'button', class: 'icon-btn attach' }), 'attachButton');
  // The composer's paperclip (the attach UI is in the page whenever attachments are offered).
  const clip = document.querySelector('#attach svg')?.cloneNode(true);
  if (clip) button.append(clip);
  const picker = h('input', { type: 'file', multiple: true, hidden: true, accept: attach.accept });
  let ready: Attachments | undefined;
  let loading: Promise<Attachments> | undefined;
  let closed = false;
  const use = (files: File[], pasted = false) => {
    if (!files.length) return;
    const c = composer();
    c.hold = true;
    c.refresh();
    loading ??= import('./attachments.js').then((m) => (ready = new m.Attachments({ config: attach.config, api, h, localize, composer: c, lang: attach.lang, strip, input, kept })));
    loading.then((a) => closed || a.add(files, pasted), () => {
      loading = undefined;
      c.hold = false;
      c.refresh();
      attach.loadFailed();
    });
  };
  button.addEventListener('click', () => picker.click());
  picker.addEventListener('change', () => {
    use([...picker.files!]);
    picker.value = '';
  });
  return {
    strip,
    button,
    picker,
    ready: () => ready?.ready() ?? [],
    close: () => {
      closed = true;
      ready?.close();
    },
    /** Paste (with the focus in the editor) and drop (on it) bring files here, not to the composer. */
    listen(form: HTMLFormElement) {
      let depth = 0;
      for (const type of attach.events) {
        form.addEventListener(type, (e) => {
          const files = attach.eventFiles(e);
          if (!files) return;
          e.preventDefault();
          e.stopPropagation();
          depth = type === 'drop' ? 0 : depth + (type === 'dragenter' ? 1 : type === 'dragleave' ? -1 : 0);
          form.classList.toggle('drop-over', depth > 0);
          if (type === 'paste' || type === 'drop') use(files, type === 'paste');
        });
      }
    },
  };
}
