/**
 * The inline editor of a sent message: a text box in place of the message that behaves as the
 * message box does (it is a {@link Composer}: Enter sends, never while an IME is composing;
 * Shift+Enter breaks the line; the character limit is shown and enforced). Escape (not the one
 * that cancels a composition) or Cancel puts the message back. Its own chunk, fetched on the
 * first Edit.
 */
import type { Composer as ComposerClass } from './composer';
import type { h as H } from './dom';
import type { labelled as Labelled, localize as Localize } from './i18n';
import type { imeHandles as ImeHandles, trackComposition as TrackComposition } from './keys';

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
}

/**
 * Opens the editor on user message `li`. `submit` sends the new text (replacing `li`) and says
 * whether it went; when it did not (an answer is being written), the editor keeps the text.
 */
export function openEditor(li: HTMLElement, maxChars: number, submit: (text: string) => boolean, deps: EditorDeps): void {
  const { Composer, h, labelled, localize, imeHandles, trackComposition } = deps;
  const open = li.querySelector<HTMLElement>('.msg-editor textarea');
  if (open) return open.focus();
  const shown = [...li.querySelectorAll<HTMLElement>('.user-text, .user-actions')];
  const input = labelled(h('textarea', { rows: '2' }), 'editMessage');
  input.value = li.querySelector('.user-text')?.textContent ?? '';
  const send = localize(h('button', { type: 'submit', class: 'btn primary' }), 'send');
  const cancel = localize(h('button', { type: 'button', class: 'btn' }), 'cancel');
  const counter = h('div', { class: 'char-count' });
  const form = h('form', { class: 'msg-editor' }, input, counter, h('div', { class: 'edit-buttons' }, cancel, send));
  const close = () => {
    form.remove();
    for (const el of shown) el.hidden = false;
    li.querySelector<HTMLElement>('.msg-edit')?.focus();
  };
  for (const el of shown) el.hidden = true;
  li.append(form);
  const onSend = (text: string) => {
    if (submit(text)) return;
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
