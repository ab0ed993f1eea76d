/** The copy button of a code block: its own chunk, fetched on the first Copy. */
import type { h as H } from './dom';
import type { localize as Localize } from './i18n';

/**
 * Copies the code of the block `button` belongs to, and says so on the button for a moment.
 * `h` and `localize` are passed in rather than imported: a module both the page and this chunk
 * import would move into a chunk of its own, and the first load would grow.
 */
export async function copyCode(button: HTMLButtonElement, h: typeof H, localize: typeof Localize): Promise<void> {
  const code = button.closest('.code-block')?.querySelector('code')?.textContent ?? '';
  try {
    await navigator.clipboard.writeText(code);
  } catch {
    // Clipboard API refused (insecure context or permissions): fall back to a selection copy.
    const area = h('textarea', { 'class': 'visually-hidden', 'aria-hidden': 'true' });
    area.value = code;
    document.body.append(area);
    area.select();
    document.execCommand('copy');
    area.remove();
  }
  localize(button, 'copied');
  setTimeout(() => {
    localize(button, 'copy');
  }, 1500);
}
