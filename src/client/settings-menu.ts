/**
 * The settings menu (a menu button, WAI-ARIA menu pattern): language and theme as radio items,
 * and plain items (no `data-setting`) whose own click handler opens something.
 * Enter/Space/ArrowDown open it on the checked item, arrows/Home/End move, Escape closes it back
 * to the button, Tab or a click outside closes it.
 */
import { byId } from './dom';

/** What the menu changes. */
export interface SettingsEvents {
  /** The current value of a setting (`lang` or `theme`). */
  value(setting: string): string;
  /** A radio item was chosen. */
  choose(setting: string, value: string): void;
}

/** The settings menu wired to its markup in index.html (or another menu button and its panel, e.g. the model picker). */
export class SettingsMenu {
  constructor(
    private readonly events: SettingsEvents,
    private readonly button = byId<HTMLButtonElement>('settings-button'),
    private readonly panel = byId('settings-panel'),
  ) {
    this.refresh();
    this.button.addEventListener('click', () => (this.panel.hidden ? this.open() : this.close(true)));
    this.button.addEventListener('keydown', (e) => {
      if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return;
      e.preventDefault();
      this.open();
    });
    this.panel.addEventListener('click', (e) => {
      const item = (e.target as Element).closest<HTMLElement>('[role^="menuitem"]');
      if (!item) return;
      if (item.dataset.setting) this.events.choose(item.dataset.setting, item.dataset.value!);
      this.refresh();
      this.close(true);
    });
    this.panel.addEventListener('keydown', (e) => this.onKey(e));
    document.addEventListener('pointerdown', (e) => {
      if (!this.panel.hidden && !this.button.parentElement!.contains(e.target as Node)) this.close(false);
    });
  }

  /** Marks the current values checked. */
  refresh(): void {
    for (const item of this.items('radio')) {
      item.setAttribute('aria-checked', String(this.events.value(item.dataset.setting!) === item.dataset.value));
    }
  }

  private items(kind = ''): HTMLElement[] {
    return Array.from(this.panel.querySelectorAll<HTMLElement>(`[role^="menuitem${kind}"]`));
  }

  private open(): void {
    this.refresh();
    this.panel.hidden = false;
    this.button.setAttribute('aria-expanded', 'true');
    (this.items().find((i) => i.getAttribute('aria-checked') === 'true') ?? this.items()[0]).focus();
  }

  private close(focusButton: boolean): void {
    this.panel.hidden = true;
    this.button.setAttribute('aria-expanded', 'false');
    if (focusButton) this.button.focus();
  }

  private onKey(e: KeyboardEvent): void {
    const items = this.items();
    const at = items.indexOf(document.activeElement as HTMLElement);
    const move = (i: number) => items[(i + items.length) % items.length].focus();
    if (e.key === 'ArrowDown') move(at + 1);
    else if (e.key === 'ArrowUp') move(at - 1);
    else if (e.key === 'Home') move(0);
    else if (e.key === 'End') move(items.length - 1);
    else if (e.key === 'Escape') this.close(true);
    else if (e.key === 'Tab') return this.close(false);
    else return;
    e.preventDefault();
    e.stopPropagation();
  }
}
