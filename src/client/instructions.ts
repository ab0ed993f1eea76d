/**
 * The instructions panel (settings menu → Instructions): the person's standing instructions,
 * added to the system prompt of their new turns (PROTOCOL §2.4), at most MAX_INSTRUCTIONS_BYTES
 * of UTF-8. Loaded on demand as its own chunk; its strings live here, since it is modal (the
 * language cannot change while it is open).
 */
import type { HistoryApi } from './api';
import type { h as H } from './dom';
import type { Instructions } from '../contract/protocol';

/**
 * What the panel uses of the page. Passed in rather than imported: a module both the page and
 * this chunk import would move into a chunk of its own, and the first load would grow.
 */
export interface InstructionsDeps {
  api: HistoryApi;
  h: typeof H;
  /** MAX_INSTRUCTIONS_BYTES. */
  maxBytes: number;
  /** Shows the confirmation once saved. */
  saved(message: string): void;
}

const TEXT = {
  en: {
    title: 'Your instructions',
    hint: 'Added to the system prompt of every new message you send, in every conversation. Only you see them.',
    count: '{n} / {max} bytes',
    over: 'Too long by {over} bytes (a Korean letter counts 3): shorten it to save.',
    save: 'Save',
    cancel: 'Cancel',
    saved: 'Instructions saved.',
    loadFailed: 'Could not load your instructions. Close and try again.',
    saveFailed: 'Could not save. Try again.',
  },
  ko: {
    title: '내 지침',
    hint: '내가 보내는 새 메시지마다 시스템 프롬프트에 덧붙습니다. 모든 대화에 적용되며 나만 볼 수 있습니다.',
    count: '{n} / {max}바이트',
    over: '{over}바이트 초과 (한글은 한 글자에 3바이트): 줄여야 저장할 수 있습니다.',
    save: '저장',
    cancel: '취소',
    saved: '지침을 저장했습니다.',
    loadFailed: '지침을 불러오지 못했습니다. 닫고 다시 시도해 주세요.',
    saveFailed: '저장하지 못했습니다. 다시 시도해 주세요.',
  },
};

let dialog: HTMLDialogElement | undefined;

/** Opens the panel: reads the saved instructions, and saves them on Save. */
export function openInstructions({ api, h, maxBytes, saved }: InstructionsDeps): void {
  // The page's language (translateDom keeps it on <html>).
  const lang = document.documentElement.lang === 'ko' ? 'ko' : 'en';
  const s = TEXT[lang];
  const fill = (text: string, vars: Record<string, number>) => text.replace(/\{(\w+)\}/g, (_, k: string) => vars[k].toLocaleString(lang));
  const input = h('textarea', { 'id': 'instructions-input', 'rows': '8', 'autofocus': true, 'aria-describedby': 'instructions-hint instructions-count' });
  const count = h('p', { 'id': 'instructions-count', 'class': 'char-count', 'aria-live': 'polite' });
  const error = h('p', { class: 'error', role: 'alert', hidden: true });
  const save = h('button', { type: 'submit', value: 'save', class: 'btn primary' }, s.save);
  let loaded = false;
  const refresh = () => {
    const n = new TextEncoder().encode(input.value).length;
    const over = n - maxBytes;
    count.textContent = fill(s.count, { n, max: maxBytes }) + (over > 0 ? ` — ${fill(s.over, { over })}` : '');
    count.classList.toggle('over', over > 0);
    input.setAttribute('aria-invalid', String(over > 0));
    save.disabled = !loaded || over > 0;
  };
  const fail = (message: string) => {
    error.textContent = message;
    error.hidden = false;
  };
  const form = h('form', { method: 'dialog' },
    h('h2', { id: 'instructions-heading' }, s.title),
    h('p', { id: 'instructions-hint', class: 'hint' }, s.hint),
    h('label', { for: 'instructions-input', class: 'visually-hidden' }, s.title),
    input, count, error,
    h('div', { class: 'dialog-actions' }, save, h('button', { type: 'submit', value: 'cancel', class: 'btn ghost', formnovalidate: true }, s.cancel)));
  dialog?.remove();
  dialog = h('dialog', { 'class': 'dialog instructions', 'aria-labelledby': 'instructions-heading' }, form);
  const d = dialog;
  input.addEventListener('input', refresh);
  form.addEventListener('submit', (e) => {
    if ((e.submitter as HTMLButtonElement | null)?.value !== 'save') return;
    e.preventDefault();
    if (save.disabled) return;
    save.disabled = true;
    error.hidden = true;
    api.call('PUT', '/instructions', { text: input.value }).then(() => {
      d.close();
      saved(s.saved);
    }, () => {
      fail(s.saveFailed);
      refresh();
    });
  });
  input.disabled = true;
  refresh();
  document.body.append(d);
  d.showModal();
  api.call<Instructions>('GET', '/instructions').then((r) => {
    loaded = true;
    input.value = r.text;
    input.disabled = false;
    input.focus();
    refresh();
  }, () => fail(s.loadFailed));
}
