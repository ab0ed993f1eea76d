/**
 * The `‹ n / m ›` switcher of a message that has sibling versions (an edited question, a
 * regenerated answer; PROTOCOL §13). Each arrow names the sibling it makes active in
 * `data-target`; the chat controller does the switching. The sibling ids stay on the message's
 * element, so a new version made here extends them without asking the server.
 */
import { h } from './dom';
import { labelled } from './i18n';
import type { MessageVersions as Versions } from '../contract/protocol';

/** The switcher of message `li` (nothing for a message without siblings). */
export function versionSwitcher(li: HTMLElement, versions?: Versions): HTMLElement | undefined {
  if (!versions || versions.ids.length < 2) return undefined;
  li.dataset.versions = versions.ids.join(' ');
  const arrow = (cls: string, key: 'prevVersion' | 'nextVersion', glyph: string, target?: string) =>
    labelled(h('button', { 'type': 'button', 'class': `icon-btn ${cls}`, 'data-target': target, 'disabled': !target }, h('span', { 'aria-hidden': 'true' }, glyph)), key);
  const { ids, index } = versions;
  return labelled(
    h('span', { class: 'versions', role: 'group' },
      arrow('version-prev', 'prevVersion', '‹', ids[index - 1]),
      h('span', { class: 'version-of' }, `${index + 1} / ${ids.length}`),
      arrow('version-next', 'nextVersion', '›', ids[index + 1])),
    'versions',
  );
}

/** The sibling ids of message `li` (whose own id is `id`), as its switcher recorded them. */
export function versionIds(li: HTMLElement, id: string): string[] {
  return li.dataset.versions?.split(' ') ?? [id];
}

/** The versions of a new sibling `id` of the messages `ids`: the last one. */
export function addedVersion(ids: string[], id: string): Versions {
  return { ids: [...ids, id], index: ids.length };
}
