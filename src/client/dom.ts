/**
 * Tiny DOM helpers. Everything the client shows is built with these (never `innerHTML` with
 * anything but DOMPurify output), so text from the network is always set as text.
 */

/** Attributes and children accepted by {@link h}. */
export type Attrs = Record<string, string | boolean | undefined>;

/**
 * Creates an element. `false`/`undefined` attributes are left out, `true` sets an empty one;
 * string children become text nodes, so they are never parsed as HTML.
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Array<Node | string | undefined>
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    el.setAttribute(name, value === true ? '' : value);
  }
  for (const child of children) {
    if (child === undefined) continue;
    el.append(child);
  }
  return el;
}

/** Looks up an element that index.html is known to contain; a missing one is a build bug. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing from index.html`);
  return el as T;
}

/** A fresh id for a client-made message: 32 hex characters, inside the protocol's id pattern. */
export function newId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
