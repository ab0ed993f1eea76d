/**
 * Korean and English UI text. The language comes from the browser (Korean when it prefers
 * Korean, else English) and can be switched; the choice is remembered in localStorage. Each
 * language's table is its own chunk, fetched before the first render (while /config.json is, so
 * it adds no wait) for the page's language only, and on a switch for the other one.
 */
import type { ko } from './strings-ko';
import type { ErrorCode } from '../contract/protocol';

/** The UI languages. */
export type Lang = 'ko' | 'en';

/** Every UI string key: the Korean table's; another table missing one (or with one more) is a type error. */
export type TextKey = keyof typeof ko;

/** One language's UI text. */
export type Strings = Record<TextKey, string>;

/** The tables loaded so far: each language is its own chunk (strings-ko.ts, strings-en.ts). */
const TABLES: Partial<Record<Lang, Strings>> = {};
const STORAGE_KEY = 'chatbot.lang';

let current: Lang = 'ko';

/** Picks Korean when the browser's preferred languages put Korean first among ko/en. */
export function detectLang(languages: readonly string[]): Lang {
  for (const l of languages) {
    const base = l.toLowerCase().split('-')[0];
    if (base === 'ko') return 'ko';
    if (base === 'en') return 'en';
  }
  return 'en';
}

/** Makes `l`'s table available (fetched once); rejects when its chunk cannot be fetched. */
async function load(l: Lang): Promise<Strings> {
  return (TABLES[l] ??= l === 'ko' ? (await import('./strings-ko.js')).ko : (await import('./strings-en.js')).en);
}

/**
 * Sets the language from storage or the browser, before anything is shown. Should its table
 * not arrive, the other language is tried; rejects when neither does.
 */
export async function initLang(): Promise<Lang> {
  const saved = storedLang();
  const wanted = saved === 'ko' || saved === 'en' ? saved : detectLang(navigator.languages ?? [navigator.language]);
  const other = wanted === 'ko' ? 'en' : 'ko';
  current = await load(wanted).then(() => wanted, () => load(other).then(() => other));
  return current;
}

/** The remembered choice; none where the page may not use storage (the renderer tests' blank page). */
function storedLang(): string | null {
  try {
    return localStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

/** The language in use. */
export function lang(): Lang {
  return current;
}

/** Switches and remembers the language once its table is there; callers then re-render their text. */
export async function setLang(next: Lang): Promise<void> {
  await load(next);
  current = next;
  localStorage.setItem(STORAGE_KEY, next);
}

/** A UI string, with `{name}` placeholders filled in. */
export function t(key: TextKey, vars: Record<string, string | number> = {}): string {
  return TABLES[current]![key].replace(/\{(\w+)\}/g, (_, name: string) => {
    const v = vars[name];
    return typeof v === 'number' ? v.toLocaleString(current) : String(v ?? '');
  });
}

/** The human message for a protocol error code (unknown codes read as INTERNAL). */
export function errorText(code: ErrorCode | string): string {
  return t(errorKey(code));
}

/** The text key of a protocol error code (unknown codes read as INTERNAL). */
export function errorKey(code: ErrorCode | string): TextKey {
  const key = `err_${code}` as TextKey;
  return key in TABLES[current]! ? key : 'err_INTERNAL';
}

/**
 * Marks an element as showing `key` (with `vars`), so {@link translateDom} re-renders it when the
 * language changes, and sets its text now.
 */
export function localize<E extends HTMLElement>(el: E, key: TextKey, vars?: Record<string, string | number>): E {
  el.dataset.i18n = key;
  if (vars) el.dataset.i18nVars = JSON.stringify(vars);
  else delete el.dataset.i18nVars;
  el.textContent = t(key, vars);
  return el;
}

/** Names a control by `key` (aria-label and title), re-rendered by {@link translateDom}. */
export function labelled<E extends HTMLElement>(el: E, key: TextKey): E {
  el.dataset.i18nLabel = key;
  el.setAttribute('aria-label', t(key));
  el.title = t(key);
  return el;
}

/**
 * Applies the current language to markup: `data-i18n` sets text (filled with the JSON object in
 * `data-i18n-vars`, if any), `data-i18n-label` sets aria-label (and title), `data-i18n-placeholder`
 * sets placeholder, `data-ko`/`data-en` (a model name) the text in that language. Static markup and the dynamic text made with {@link localize} alike.
 */
export function translateDom(root: ParentNode = document): void {
  document.documentElement.lang = current;
  for (const el of root.querySelectorAll<HTMLElement>('[data-i18n]')) {
    const vars = el.dataset.i18nVars ? (JSON.parse(el.dataset.i18nVars) as Record<string, string | number>) : undefined;
    el.textContent = t(el.dataset.i18n as TextKey, vars);
  }
  for (const el of root.querySelectorAll<HTMLElement>('[data-i18n-label]')) {
    const text = t(el.dataset.i18nLabel as TextKey);
    el.setAttribute('aria-label', text);
    el.title = text;
  }
  for (const el of root.querySelectorAll<HTMLElement>('[data-en]')) el.textContent = el.dataset[current]!;
  for (const el of root.querySelectorAll<HTMLElement>('[data-i18n-placeholder]')) {
    el.setAttribute('placeholder', t(el.dataset.i18nPlaceholder as TextKey));
  }
}
