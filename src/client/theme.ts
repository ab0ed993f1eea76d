/**
 * Light/dark theme: follows the system unless the person picks one; the pick is remembered.
 * The theme is a `data-theme` attribute on <html> that app.css keys its colours on.
 */

/** The theme choices. */
export type ThemeChoice = 'system' | 'light' | 'dark';

const KEY = 'chatbot.theme';

/** The remembered choice (system when none). */
export function themeChoice(): ThemeChoice {
  const saved = localStorage.getItem(KEY);
  return saved === 'light' || saved === 'dark' ? saved : 'system';
}

/** Applies the remembered theme (call before anything is shown). */
export function initTheme(): ThemeChoice {
  const choice = themeChoice();
  apply(choice);
  return choice;
}

/** Applies and remembers a choice. */
export function setTheme(choice: ThemeChoice): void {
  if (choice === 'system') localStorage.removeItem(KEY);
  else localStorage.setItem(KEY, choice);
  apply(choice);
}

function apply(choice: ThemeChoice): void {
  if (choice === 'system') delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = choice;
}
