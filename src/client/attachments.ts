/**
 * The attachments of a message being written (PROTOCOL §15), its own chunk, fetched with the first
 * file or drag: the composer's (attach-hook.ts wires the button, drop and paste) and the message
 * editor's (edit-message.ts, which has its own strip and send). A strip with each file
 * (a thumbnail or a document icon, its name and size, a remove button), uploaded as soon as it is
 * added — a slot from the API, the presigned PUT with exactly its headers (XMLHttpRequest, for the
 * upload progress), the check — and an error per file in the page's language (limits checked here
 * first with config.json's numbers, the server's answer mapped by code). Send waits while a file
 * uploads; a failed file never blocks the others. File names come from the user's disk: text only.
 *
 * Its strings live here (both languages) and follow a language switch by watching `<html lang>`,
 * so the first load carries none of them.
 */
import type { HistoryApi } from './api';
import { closeIcon, sizeVars } from './attachment-view';
import type { Composer } from './composer';
import type { h as H } from './dom';
import type { Lang, localize as Localize } from './i18n';
import type { AttachmentInfo, CreateAttachmentResponse, MessageAttachment } from '../contract/attachments';
import type { ClientAttachmentsConfig } from '../contract/protocol';

/**
 * What the attachments use of the page. Passed in rather than imported: a module both the page and
 * this chunk import would move into a chunk of its own, and the first load would grow.
 */
export interface AttachDeps {
  config: ClientAttachmentsConfig;
  api: Pick<HistoryApi, 'call'>;
  h: typeof H;
  localize: typeof Localize;
  /** Its send waits while a file uploads (`hold`). */
  composer: Pick<Composer, 'hold' | 'refresh'>;
  /** Where the files show; default the composer's `#attach-strip`. */
  strip?: HTMLElement;
  /** Where the focus goes when the last file is removed; default the message box. */
  input?: HTMLElement;
  lang(): Lang;
  /** Files the message carries besides these (an edit's kept ones): they count toward the per-message limits. */
  kept?(): readonly MessageAttachment[];
}

const TEXT = {
  ko: {
    files: '첨부 파일',
    drop: '여기에 놓으면 첨부됩니다',
    pasted: '붙여넣은 이미지 {n}',
    remove: '{name} 빼기',
    progress: '올리는 중 {n}%',
    errType: '이 형식은 첨부할 수 없습니다. 이미지는 png·jpeg·gif·webp, 문서는 pdf·csv·doc·docx·xls·xlsx·html·txt·md입니다.',
    errImageSize: '이미지는 {n}MB까지 첨부할 수 있습니다.',
    errDocumentSize: '문서는 {n}MB까지 첨부할 수 있습니다.',
    errPixels: '이미지는 가로세로 {n}px까지 첨부할 수 있습니다.',
    errEmpty: '빈 파일은 첨부할 수 없습니다.',
    errCount: '한 메시지에 이미지는 {images}개, 문서는 {documents}개까지 첨부할 수 있습니다.',
    errName: '파일 이름은 {n}자 이하이고 글자나 숫자가 있어야 하며 제어 문자가 없어야 합니다.',
    errExecutable: '실행 파일은 첨부할 수 없습니다.',
    errContent: '파일 내용이 형식과 맞지 않습니다.',
    errDaily: '오늘 올릴 수 있는 양을 다 썼습니다. 내일(UTC) 다시 시도해 주세요.',
    errFailed: '올리지 못했습니다. 빼고 다시 첨부해 주세요.',
  },
  en: {
    files: 'Attachments',
    drop: 'Drop files here to attach them',
    pasted: 'Pasted image {n}',
    remove: 'Remove {name}',
    progress: 'Uploading {n}%',
    errType: 'This type cannot be attached: images png/jpeg/gif/webp, documents pdf/csv/doc/docx/xls/xlsx/html/txt/md.',
    errImageSize: 'An image may be at most {n} MB.',
    errDocumentSize: 'A document may be at most {n} MB.',
    errPixels: 'An image may be at most {n} px a side.',
    errEmpty: 'An empty file cannot be attached.',
    errCount: 'A message may carry at most {images} images and {documents} documents.',
    errName: 'A file name must be at most {n} characters, with a letter or digit and no control characters.',
    errExecutable: 'Programs cannot be attached.',
    errContent: "The file's content does not match its type.",
    errDaily: 'You have used up today\'s uploads. Try again tomorrow (UTC).',
    errFailed: 'The upload failed. Remove the file and attach it again.',
  },
};
type Key = keyof typeof TEXT.en;
type Vars = Record<string, string | number>;

/** Types by file extension, for files the browser names no (or a vaguer) type for, e.g. Markdown. */
const BY_EXTENSION: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  pdf: 'application/pdf',
  csv: 'text/csv',
  doc: 'application/msword',
  xls: 'application/vnd.ms-excel',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  html: 'text/html',
  htm: 'text/html',
  txt: 'text/plain',
  md: 'text/markdown',
  markdown: 'text/markdown',
};
const IMAGE_EXTENSION: Record<string, string> = { 'image/png': 'png', 'image/jpeg': 'jpg', 'image/gif': 'gif', 'image/webp': 'webp' };
/** Thumbnails are drawn this tall (a data: URL: the CSP's img-src has no blob:). */
const THUMB_PX = 96;

interface Item {
  file: File;
  name: string;
  type: string;
  image: boolean;
  li: HTMLLIElement;
  status: HTMLElement;
  state: 'uploading' | 'ready' | 'failed';
  xhr?: XMLHttpRequest;
  info?: MessageAttachment;
}

/** A refused upload: the text key (and its values) to show. */
class Refusal extends Error {
  constructor(readonly key: Key, readonly vars?: Vars) {
    super(key);
  }
}

/** The strip of files of the message being written. */
export class Attachments {
  private items: Item[] = [];
  private pastedCount = 0;
  private dragDepth = 0;
  private readonly strip: HTMLElement;
  /** The page's drop target, made with the first drag. */
  private overlay?: HTMLElement;
  private readonly observer: MutationObserver;

  constructor(private readonly deps: AttachDeps) {
    this.strip = deps.strip ?? document.getElementById('attach-strip')!;
    this.say(this.strip, 'files', undefined, 'aria-label');
    // The page's language is on <html lang> (translateDom); a switch re-renders this chunk's text.
    this.observer = new MutationObserver(() => {
      for (const el of [this.strip, this.overlay]) {
        for (const e of el ? [el, ...el.querySelectorAll<HTMLElement>('[data-a]')] : []) if (e.dataset.a) this.say(e, e.dataset.a as Key, e.dataset.av ? JSON.parse(e.dataset.av) as Vars : undefined, e.dataset.aAttr);
      }
    });
    this.observer.observe(document.documentElement, { attributes: true, attributeFilter: ['lang'] });
  }

  /** Adds files (pasted images are named "Pasted image n") and starts their uploads. */
  add(files: File[], pasted = false): void {
    for (const file of files) {
      const ext = /\.([^.]+)$/.exec(file.name)?.[1].toLowerCase() ?? '';
      const type = this.allowed(BY_EXTENSION[ext]) ? BY_EXTENSION[ext] : file.type.toLowerCase();
      const image = this.deps.config.imageTypes.includes(type);
      // A pasted image (a screenshot: the browser calls every one "image.png") gets a name of its own.
      const name = pasted && image ? `${this.fill('pasted', { n: ++this.pastedCount })}.${IMAGE_EXTENSION[type]}` : file.name;
      const item = this.show(file, name, type, image);
      const refusal = this.precheck(item);
      if (refusal) this.fail(item, refusal);
      else void this.upload(item);
    }
    this.update();
  }

  /**
   * An event of attach-hook.ts with its files: `change` (the picker), `paste`, or a drag over the
   * page (enter, over, leave, drop: the drop target shows while files are over the page).
   */
  on(type: string, files: File[]): void {
    if (type === 'dragenter') this.dragDepth++;
    else if (type === 'dragleave') this.dragDepth--;
    else if (type === 'drop') this.dragDepth = 0;
    if (!this.overlay) {
      this.overlay = this.deps.h('div', { 'class': 'drop-target', 'hidden': true, 'aria-hidden': 'true' });
      this.overlay.append(this.say(this.deps.h('p'), 'drop'));
      document.body.append(this.overlay);
    }
    this.overlay.hidden = this.dragDepth <= 0;
    // Files of a drag are taken at the drop only (a real drag shows none before it anyway).
    if (files.length && !type.startsWith('drag')) this.add(files, type === 'paste');
  }

  /** The ready files for the message being sent, in the order shown; clears the strip (failed files too). */
  take(): MessageAttachment[] | undefined {
    const list = this.ready();
    for (const i of this.items) i.li.remove();
    this.items = [];
    this.update();
    return list.length ? list : undefined;
  }

  /** The ready files, in the order shown (the strip stays as it is). */
  ready(): MessageAttachment[] {
    return this.items.filter((i) => i.state === 'ready').map((i) => i.info!);
  }

  /** Done with (the editor closed): uploads still running are cancelled, language switches no longer followed. */
  close(): void {
    const running = this.items;
    this.items = [];
    for (const i of running) i.xhr?.abort();
    this.observer.disconnect();
  }

  private allowed(type: string | undefined): boolean {
    const { imageTypes, documentTypes } = this.deps.config;
    return !!type && (imageTypes.includes(type) || documentTypes.includes(type));
  }

  private precheck(item: Item): Refusal | undefined {
    const c = this.deps.config;
    if (!this.allowed(item.type)) return new Refusal('errType');
    if (item.file.size === 0) return new Refusal('errEmpty');
    const max = item.image ? c.maxImageBytes : c.maxDocumentBytes;
    if (item.file.size > max) return new Refusal(item.image ? 'errImageSize' : 'errDocumentSize', { n: max / 1e6 });
    if ([...item.name].length > c.maxNameChars) return new Refusal('errName', { n: c.maxNameChars });
    const kept = this.deps.kept?.().filter((a) => c.imageTypes.includes(a.contentType) === item.image).length ?? 0;
    const same = kept + this.items.filter((i) => i.state !== 'failed' && i !== item && i.image === item.image).length;
    if (same >= (item.image ? c.maxImagesPerMessage : c.maxDocumentsPerMessage)) {
      return new Refusal('errCount', { images: c.maxImagesPerMessage, documents: c.maxDocumentsPerMessage });
    }
    return undefined;
  }

  /** Slot, PUT, check; every step's refusal becomes this file's error. */
  private async upload(item: Item): Promise<void> {
    try {
      const slot = await this.deps.api.call<CreateAttachmentResponse>('POST', '/attachments', { name: item.name, contentType: item.type, size: item.file.size });
      if (!this.items.includes(item)) return;
      await this.put(item, slot);
      if (!this.items.includes(item)) return;
      const info = await this.deps.api.call<AttachmentInfo>('POST', `/attachments/${encodeURIComponent(slot.attachmentId)}/complete`);
      if (!this.items.includes(item)) return;
      const { attachmentId, name, contentType, size, width, height } = info;
      item.info = { attachmentId, name, contentType, size, ...(width !== undefined && height !== undefined ? { width, height } : {}) };
      item.state = 'ready';
      item.li.classList.replace('uploading', 'ready');
      item.status.replaceChildren();
      this.update();
    } catch (e) {
      if (this.items.includes(item)) this.fail(item, this.refusal(item, e));
    }
  }

  /** The presigned PUT with exactly the slot's headers; its progress fills the file's bar. */
  private put(item: Item, slot: CreateAttachmentResponse): Promise<void> {
    return new Promise((resolve, reject) => {
      const x = new XMLHttpRequest();
      item.xhr = x;
      x.open(slot.upload.method, slot.upload.url);
      // The browser sets content-length itself (and refuses to be told it).
      for (const [k, v] of Object.entries(slot.upload.headers)) if (k.toLowerCase() !== 'content-length') x.setRequestHeader(k, v);
      x.upload.onprogress = (e) => {
        if (e.lengthComputable) this.progress(item, Math.floor((e.loaded / e.total) * 100));
      };
      x.onload = () => (x.status >= 200 && x.status < 300 ? resolve() : reject(new Refusal('errFailed')));
      x.onerror = x.onabort = () => reject(new Refusal('errFailed'));
      x.send(item.file);
    });
  }

  /** The text of a refused step: the API's 4xx by its code (and which check said it), else a plain failure. */
  private refusal(item: Item, e: unknown): Refusal {
    if (e instanceof Refusal) return e;
    const { code = '', message = '' } = e as { code?: string; message?: string };
    const c = this.deps.config;
    if (code === 'TOO_LARGE') {
      const px = /(\d+) px/.exec(message);
      if (px) return new Refusal('errPixels', { n: Number(px[1]) });
      return new Refusal(item.image ? 'errImageSize' : 'errDocumentSize', { n: (item.image ? c.maxImageBytes : c.maxDocumentBytes) / 1e6 });
    }
    if (code === 'RATE_LIMITED') return new Refusal('errDaily');
    if (code === 'BAD_REQUEST') {
      if (/executable/.test(message)) return new Refusal('errExecutable');
      if (/content is/.test(message)) return new Refusal('errContent');
      if (/cannot be attached/.test(message)) return new Refusal('errType');
      if (/name/.test(message)) return new Refusal('errName', { n: c.maxNameChars });
      if (/at most/.test(message)) return new Refusal('errCount', { images: c.maxImagesPerMessage, documents: c.maxDocumentsPerMessage });
    }
    return new Refusal('errFailed');
  }

  private fail(item: Item, r: Refusal): void {
    item.state = 'failed';
    item.li.classList.remove('uploading');
    item.li.classList.add('failed');
    item.status.replaceChildren(this.say(this.deps.h('span', { class: 'strip-error', role: 'alert' }), r.key, r.vars));
    this.update();
  }

  private progress(item: Item, percent: number): void {
    const bar = item.status.querySelector('progress');
    if (bar) bar.value = percent;
    const text = item.status.querySelector<HTMLElement>('.strip-percent');
    if (text) this.say(text, 'progress', { n: percent });
  }

  /** The file's entry in the strip (an upload in progress until it is ready or fails). */
  private show(file: File, name: string, type: string, image: boolean): Item {
    const { h } = this.deps;
    const preview = h('span', { 'class': image ? 'strip-thumb' : 'strip-thumb doc', 'aria-hidden': 'true' });
    if (image) void thumbnail(file).then((url) => url && preview.append(h('img', { src: url, alt: '' })));
    const remove = h('button', { type: 'button', class: 'icon-btn strip-remove' }, closeIcon());
    remove.append(this.say(h('span', { class: 'visually-hidden' }), 'remove', { name }));
    const status = h('span', { class: 'strip-status' }, h('progress', { 'max': '100', 'value': '0', 'aria-hidden': 'true' }), this.say(h('span', { class: 'strip-percent' }), 'progress', { n: 0 }));
    const li = h('li', { class: 'strip-item uploading' }, preview, h('span', { class: 'strip-meta' },
      h('span', { class: 'strip-name', title: name }, name),
      this.deps.localize(h('span', { class: 'strip-size' }), 'attachSize', sizeVars(file.size)),
      status), remove);
    const item: Item = { file, name, type, image, li, status, state: 'uploading' };
    remove.addEventListener('click', () => this.remove(item));
    this.items.push(item);
    this.strip.append(li);
    return item;
  }

  private remove(item: Item): void {
    const at = this.items.indexOf(item);
    if (at < 0) return;
    this.items.splice(at, 1);
    item.xhr?.abort();
    item.li.remove();
    this.update();
    // Focus stays in the strip (the next file's remove button), else goes back to the message box.
    const next = this.items[Math.min(at, this.items.length - 1)];
    (next?.li.querySelector<HTMLElement>('.strip-remove') ?? this.deps.input ?? document.getElementById('message-input'))?.focus();
  }

  private update(): void {
    this.strip.hidden = this.items.length === 0;
    this.deps.composer.hold = this.items.some((i) => i.state === 'uploading');
    this.deps.composer.refresh();
  }

  private fill(key: Key, vars: Vars = {}): string {
    const lang = this.deps.lang();
    return TEXT[lang][key].replace(/\{(\w+)\}/g, (_, k: string) => {
      const v = vars[k];
      return typeof v === 'number' ? v.toLocaleString(lang) : String(v ?? '');
    });
  }

  /** Sets `el`'s text (or `attr`) to `key` in the page's language, and marks it for a language switch. */
  private say<E extends HTMLElement>(el: E, key: Key, vars?: Vars, attr?: string): E {
    el.dataset.a = key;
    if (vars) el.dataset.av = JSON.stringify(vars);
    if (attr) {
      el.dataset.aAttr = attr;
      el.setAttribute(attr, this.fill(key, vars));
    } else {
      el.textContent = this.fill(key, vars);
    }
    return el;
  }
}

/** A small data: URL of an image file, or undefined when the browser cannot decode it. */
async function thumbnail(file: File): Promise<string | undefined> {
  try {
    const bitmap = await createImageBitmap(file, { resizeHeight: THUMB_PX, resizeQuality: 'medium' });
    const canvas = document.createElement('canvas');
    canvas.width = bitmap.width;
    canvas.height = bitmap.height;
    canvas.getContext('2d')!.drawImage(bitmap, 0, 0);
    bitmap.close();
    return canvas.toDataURL('image/png');
  } catch {
    return undefined;
  }
}
