/**
 * The Enter-to-send decision, kept free of the DOM so it is unit-tested directly. The hard case
 * is an IME (Korean, Japanese, Chinese): the Enter that commits a composition must never send.
 */

/** The parts of a keydown event the decision reads. */
export interface KeyInfo {
  key: string;
  keyCode: number;
  isComposing: boolean;
  shiftKey: boolean;
  altKey: boolean;
}

/** Whether composition is known to be in progress or to have ended in this very task. */
export interface CompositionState {
  composing: boolean;
  justEnded: boolean;
}

/** keyCode browsers report for keys an IME is processing. */
export const IME_PROCESS_KEY_CODE = 229;

/**
 * True when this keydown should send the message: a plain Enter (no Shift/Alt, which make a new
 * line) that no IME is handling. Chrome/Firefox flag IME keys with `isComposing`; Safari fires
 * `compositionend` *before* the committing keydown, whose `isComposing` is then false but whose
 * `keyCode` is 229, and `justEnded` covers a browser that reports neither.
 */
export function isSendKey(e: KeyInfo, ime: CompositionState): boolean {
  if (e.key !== 'Enter' || e.shiftKey || e.altKey) return false;
  return !imeHandles(e, ime) && !ime.justEnded;
}

/** True when an IME is handling this key: an Escape then cancels the composition, nothing more. */
export function imeHandles(e: KeyInfo, ime: CompositionState): boolean {
  return e.isComposing || e.keyCode === IME_PROCESS_KEY_CODE || ime.composing;
}

/** Follows the compositions of a text box (the message box, the inline editor). */
export function trackComposition(input: HTMLElement): CompositionState {
  const ime: CompositionState = { composing: false, justEnded: false };
  input.addEventListener('compositionstart', () => {
    ime.composing = true;
  });
  input.addEventListener('compositionend', () => {
    ime.composing = false;
    ime.justEnded = true;
    // Only the keydown dispatched in the same task as compositionend belongs to the composition.
    setTimeout(() => {
      ime.justEnded = false;
    }, 0);
  });
  return ime;
}
