/**
 * The client's icons: a few SVGs from lucide (ISC), imported one by one so the bundle keeps only
 * these. Icons are decoration: each sits in a control that has its own accessible name.
 */
import { ArrowDown, Check, Copy, LogOut, Menu, Monitor, Moon, Pencil, Plus, RotateCcw, Search, Settings, Sun, Trash2, createElement } from 'lucide';

const ICONS = {
  'arrow-down': ArrowDown,
  'check': Check,
  'copy': Copy,
  'log-out': LogOut,
  'menu': Menu,
  'monitor': Monitor,
  'moon': Moon,
  'pencil': Pencil,
  'plus': Plus,
  'retry': RotateCcw,
  'search': Search,
  'settings': Settings,
  'sun': Sun,
  'trash': Trash2,
};

/** The icons there are. */
export type IconName = keyof typeof ICONS;

/** A fresh 18 px icon, hidden from assistive technology. */
export function icon(name: IconName): SVGElement {
  return createElement(ICONS[name], { 'class': 'icon', 'width': 18, 'height': 18, 'aria-hidden': 'true', 'focusable': 'false' });
}

/** Replaces every `<span data-icon="name">` placeholder of the static markup with its icon. */
export function mountIcons(root: ParentNode = document): void {
  for (const el of root.querySelectorAll<HTMLElement>('[data-icon]')) {
    const name = el.dataset.icon as IconName;
    if (name in ICONS) el.replaceWith(icon(name));
  }
}
