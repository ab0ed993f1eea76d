/**
 * Light/dark theme: follows the system unless the person picks one; the pick is remembered.
 * The theme is a `data-theme` attribute on <html> that app.css keys its colours on.
 */

/** The theme choices. */
export type ThemeChoice = 'system' | 'light' | 'dark';

const KEY = 'chatbot.theme';

/** Applies the stored theme and wires the theme selector. */
export function initTheme(select: HTMLSelectElement): void {
  const saved = localStorage.getItem(KEY);
  const choice: ThemeChoice = saved === 'light' || saved === 'dark' ? saved : 'system';
  apply(choice);
  select.value = choice;
  select.addEventListener('change', () => {
    const next = select.value as ThemeChoice;
    if (next === 'system') localStorage.removeItem(KEY);
    else localStorage.setItem(KEY, next);
    apply(next);
  });
}

function apply(choice: ThemeChoice): void {
  if (choice === 'system') delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = choice;
}
