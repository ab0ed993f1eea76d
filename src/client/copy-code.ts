/** The copy button of a code block. */
import { h } from './dom';
import { localize } from './i18n';

/** Copies the code of the block `button` belongs to, and says so on the button for a moment. */
export async function copyCode(button: HTMLButtonElement): Promise<void> {
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
