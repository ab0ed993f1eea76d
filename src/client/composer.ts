/**
 * The message box: multi-line, Enter sends, Shift+Enter breaks the line, IME-safe, and shows the
 * character limit before the server would refuse.
 */
import { t } from './i18n';
import { imeHandles, isSendKey, trackComposition, type CompositionState } from './keys';
import { charCount } from '../contract/protocol';

/** Show the counter once a message uses this share of the limit (it is always shown when over). */
const COUNTER_FROM = 0.8;
/** The box grows with its text up to this height, then scrolls. */
const MAX_HEIGHT_PX = 240;

/** Elements and callbacks of the composer. */
export interface ComposerParts {
  form: HTMLFormElement;
  input: HTMLTextAreaElement;
  send: HTMLButtonElement;
  stop: HTMLButtonElement;
  counter: HTMLElement;
  onSend(text: string): void;
  onStop(): void;
}

/** The message box with its send and stop buttons. */
export class Composer {
  private readonly ime: CompositionState;
  private generating = false;
  /** Send waits while this is set (files still uploading); call {@link refresh} after changing it. */
  hold = false;

  constructor(private readonly parts: ComposerParts, private readonly maxChars: number) {
    const { form, input, stop } = parts;
    this.ime = trackComposition(input);
    input.addEventListener('keydown', (e) => {
      // Escape during a composition cancels the composition, not the answer.
      if (e.key === 'Escape' && this.generating && !imeHandles(e, this.ime)) {
        e.preventDefault();
        parts.onStop();
        return;
      }
      if (!isSendKey(e, this.ime)) return;
      e.preventDefault();
      this.submit();
    });
    input.addEventListener('input', () => this.refresh());
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      this.submit();
    });
    stop.addEventListener('click', () => parts.onStop());
    this.refresh();
  }

  /**
   * While an answer is being written in the open conversation, stop replaces send: the server
   * allows one generation per conversation, so a second send could only earn a BUSY error.
   */
  setGenerating(generating: boolean): void {
    this.generating = generating;
    this.parts.stop.hidden = !generating;
    this.parts.send.hidden = generating;
    this.refresh();
  }

  /** Puts `text` in the box and sends it as if typed (nothing happens while an answer is written). */
  sendText(text: string): void {
    if (this.generating) return;
    this.parts.input.value = text;
    this.submit();
  }

  /** Moves focus to the message box. */
  focus(): void {
    this.parts.input.focus();
  }

  /** Re-reads the text: counter, limit warning, send button, height. */
  refresh(): void {
    const { input, send, counter } = this.parts;
    const count = charCount(input.value);
    const over = count - this.maxChars;
    counter.hidden = count < this.maxChars * COUNTER_FROM;
    counter.classList.toggle('over', over > 0);
    counter.textContent = over > 0
      ? `${t('charCount', { count, max: this.maxChars })} — ${t('tooLong', { over })}`
      : t('charCount', { count, max: this.maxChars });
    input.setAttribute('aria-invalid', over > 0 ? 'true' : 'false');
    send.disabled = this.hold || over > 0 || input.value.trim() === '';
    // Grow with the text (CSSOM writes are allowed under a style-src 'self' CSP).
    input.style.height = 'auto';
    input.style.height = `${Math.min(input.scrollHeight, MAX_HEIGHT_PX)}px`;
  }

  private submit(): void {
    const text = this.parts.input.value;
    if (this.generating || this.hold || text.trim() === '' || charCount(text) > this.maxChars) return;
    this.parts.input.value = '';
    this.refresh();
    this.parts.onSend(text);
  }
}
