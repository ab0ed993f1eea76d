/**
 * The files of a message (PROTOCOL §15), as history lists them and as the composer sends them:
 * images as thumbnails (the file itself, shown smaller; fetched when scrolled into view) that open
 * the full image in a new tab, documents as a file badge, name, size and a download link. Every URL
 * is a short-lived presigned GET asked for when needed; a file that is gone (404) says so and shows
 * nothing of it. Names are set as text (an `alt` or a text node), never parsed. Its own chunk,
 * fetched for the first message that has files.
 */
import type { HistoryApi } from './api';
import type { h as H } from './dom';
import type { localize as Localize } from './i18n';
import type { MessageAttachment } from '../contract/attachments';

/**
 * What the view uses of the page. Passed in rather than imported: a module both the page and this
 * chunk import would move into a chunk of its own, and the first load would grow.
 */
export interface AttachmentViewDeps {
  /** The history API (bearer token included). */
  api: Pick<HistoryApi, 'call'>;
  h: typeof H;
  localize: typeof Localize;
}

/** A presigned URL is asked for again when the one held is older than this (they last 5 minutes). */
const URL_FRESH_MS = 4 * 60_000;

/** `{n, unit}` for the `attachSize` text: bytes in B, KB or MB (10^3 and 10^6, as the server's limits count them). */
export function sizeVars(bytes: number): { n: number; unit: string } {
  let n = bytes;
  let i = 0;
  while (n >= 999.5 && i < 2) {
    n /= 1000;
    i++;
  }
  return { n: n < 10 && i > 0 ? Math.round(n * 10) / 10 : Math.round(n), unit: ['B', 'KB', 'MB'][i] };
}

/** The file badge's label: the name's extension, else the type's last word (`PDF`, `DOCX`). */
function badge(a: MessageAttachment): string {
  const ext = /\.([A-Za-z0-9]{1,5})$/.exec(a.name)?.[1] ?? a.contentType.split(/[/.+-]/).pop() ?? '';
  return ext.slice(0, 4).toUpperCase();
}

/** The files of one message, in their order; images first in a row, documents below them. */
export function renderAttachments(list: MessageAttachment[], deps: AttachmentViewDeps): HTMLElement {
  const { h } = deps;
  const images = h('div', { class: 'attach-images' });
  const docs = h('div', { class: 'attach-docs' });
  for (const a of list) {
    if (a.contentType.startsWith('image/')) images.append(imageTile(a, deps));
    else docs.append(documentRow(a, deps));
  }
  return h('div', { class: 'attachments' }, images.firstChild ? images : undefined, docs.firstChild ? docs : undefined);
}

/** Asks for a fresh presigned GET of `a`; `undefined` when the file is gone (404). */
function presigned(a: MessageAttachment, deps: AttachmentViewDeps): Promise<string | undefined> {
  return deps.api.call<{ url: string }>('GET', `/attachments/${encodeURIComponent(a.attachmentId)}/content?redirect=false`).then(
    (r) => r.url,
    (e: unknown) => {
      if ((e as { status?: number }).status === 404) return undefined;
      throw e;
    });
}

/** Replaces `el` with the "no longer available" note, naming nothing of the file but its name. */
function gone(el: HTMLElement, a: MessageAttachment, deps: AttachmentViewDeps): void {
  const { h, localize } = deps;
  el.replaceWith(h('div', { 'class': 'attach-gone', 'data-attachment-id': a.attachmentId },
    h('span', { class: 'attach-name' }, a.name), localize(h('span', { class: 'attach-note' }), 'attachGone')));
}

function imageTile(a: MessageAttachment, deps: AttachmentViewDeps): HTMLElement {
  const { h } = deps;
  const img = h('img', {
    class: 'attach-thumb',
    alt: a.name,
    width: a.width ? String(a.width) : undefined,
    height: a.height ? String(a.height) : undefined,
    loading: 'lazy',
    decoding: 'async',
  });
  const link = h('a', { 'class': 'attach-image', 'target': '_blank', 'rel': 'noopener noreferrer', 'title': a.name, 'data-attachment-id': a.attachmentId }, img);
  let fetchedAt = 0;
  const load = () => presigned(a, deps).then((url) => {
    if (!url) return gone(link, a, deps);
    fetchedAt = Date.now();
    link.href = url;
    if (!img.src) img.src = url;
  });
  // The thumbnail is asked for when it comes near the screen, once.
  const seen = new IntersectionObserver((entries) => {
    if (!entries.some((e) => e.isIntersecting)) return;
    seen.disconnect();
    load().catch(() => link.classList.add('attach-failed'));
  }, { rootMargin: '200px' });
  seen.observe(link);
  // An old URL has expired: open a fresh one (still inside the click's user activation).
  link.addEventListener('click', (e) => {
    if (fetchedAt && Date.now() - fetchedAt < URL_FRESH_MS) return;
    e.preventDefault();
    load().then(() => {
      if (link.isConnected && link.href) window.open(link.href, '_blank', 'noopener');
    }, () => undefined);
  });
  return link;
}

function documentRow(a: MessageAttachment, deps: AttachmentViewDeps): HTMLElement {
  const { h, localize } = deps;
  const download = localize(h('a', { class: 'attach-download', href: '#', rel: 'noopener' }), 'attachDownload');
  const row = h('div', { 'class': 'attach-doc', 'data-attachment-id': a.attachmentId },
    h('span', { 'class': 'attach-badge', 'aria-hidden': 'true' }, badge(a)),
    h('span', { class: 'attach-name', title: a.name }, a.name),
    localize(h('span', { class: 'attach-size' }), 'attachSize', sizeVars(a.size)),
    download);
  download.addEventListener('click', (e) => {
    e.preventDefault();
    presigned(a, deps).then((url) => {
      if (!url) return gone(row, a, deps);
      // The bucket answers a document as a download (Content-Disposition: attachment): the page stays.
      const go = h('a', { href: url, rel: 'noopener' });
      go.click();
    }, () => row.classList.add('attach-failed'));
  });
  return row;
}

/**
 * lucide's `x` (ISC) as an SVG, for a file's remove button (the composer's strip, the message
 * editor): the page's icons are drawn, never text glyphs.
 */
export function closeIcon(): SVGElement {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  const attrs = { 'class': 'icon', 'width': '16', 'height': '16', 'viewBox': '0 0 24 24', 'fill': 'none', 'stroke': 'currentColor', 'stroke-width': '2', 'stroke-linecap': 'round', 'aria-hidden': 'true', 'focusable': 'false' };
  for (const [k, v] of Object.entries(attrs)) svg.setAttribute(k, v);
  const path = document.createElementNS(ns, 'path');
  path.setAttribute('d', 'M18 6 6 18M6 6l12 12');
  svg.append(path);
  return svg;
}
