/**
 * Korean and English UI text. The language comes from the browser (Korean when it prefers
 * Korean, else English) and can be switched; the choice is remembered in localStorage.
 */
import type { ErrorCode } from '../contract/protocol';

/** The UI languages. */
export type Lang = 'ko' | 'en';

const en = {
  appTitle: 'Chatbot',
  newChat: 'New chat',
  conversations: 'Conversations',
  loadMore: 'Load more',
  noConversations: 'No conversations yet.',
  untitled: 'New chat',
  rename: 'Rename',
  delete: 'Delete',
  renameTitle: 'Rename conversation',
  renameLabel: 'Title',
  save: 'Save',
  cancel: 'Cancel',
  deleteTitle: 'Delete this conversation?',
  deleteBody: 'The conversation and all its messages are deleted for good.',
  messageLabel: 'Message',
  messagePlaceholder: 'Message (Enter to send, Shift+Enter for a new line)',
  send: 'Send',
  stop: 'Stop',
  retry: 'Retry',
  copy: 'Copy',
  copied: 'Copied',
  menu: 'Conversations menu',
  language: 'Language',
  theme: 'Theme',
  themeSystem: 'System',
  themeLight: 'Light',
  themeDark: 'Dark',
  signIn: 'Sign in',
  signOut: 'Sign out',
  username: 'User name',
  signInLocalHint: 'Local stack: any user name signs you in as that user.',
  signInFailed: 'Sign-in failed. Please try again.',
  model: 'Model',
  instructions: 'Instructions…',
  connOnline: 'Connected',
  connConnecting: 'Connecting…',
  connOffline: 'Reconnecting…',
  you: 'You',
  assistant: 'Assistant',
  usage: 'Tokens: {input} in · {output} out',
  usageNotReported: 'Tokens: not reported',
  settings: 'Settings',
  jumpToLatest: 'Jump to latest',
  copyAnswer: 'Copy answer',
  regenerate: 'Regenerate answer',
  editMessage: 'Edit message',
  versions: 'Versions',
  prevVersion: 'Previous version',
  nextVersion: 'Next version',
  tooManyVersions: 'This message has as many versions as it can have.',
  groupToday: 'Today',
  groupYesterday: 'Yesterday',
  groupWeek: 'Previous 7 days',
  groupOlder: 'Older',
  searchLabel: 'Search conversations',
  searchPlaceholder: 'Search titles',
  searchResults: 'Search results',
  noResults: 'No conversation titles match.',
  searchOlder: 'Search older conversations',
  emptyTitle: 'How can I help?',
  suggestions: 'Suggested prompts',
  suggest1: 'Explain how WebSockets differ from HTTP polling',
  suggest2: 'Write a TypeScript function that debounces another function',
  suggest3: 'Summarize what makes a code review helpful',
  suggest4: 'Plan a three-day trip to Busan',
  notConfirmed: 'The server did not confirm this message. Check your connection, then try again.',
  charCount: '{count} / {max} characters',
  tooLong: 'Too long by {over} characters: shorten the message to send it.',
  emptyChat: 'Ask anything. Answers stream in as they are written.',
  stopped: 'Stopped.',
  interrupted: 'This answer was interrupted before it finished.',
  maxTokens: 'The answer reached its length limit.',
  contentFiltered: 'The answer was blocked by a content filter.',
  loadFailed: 'Could not load this. Check your connection and try again.',
  notFoundConversation: 'That conversation does not exist (any more).',
  sessionExpired: 'Your session ended. Please sign in again.',
  err_BAD_REQUEST: 'The message could not be read by the server.',
  err_TOO_LARGE: 'The message is too large to send.',
  err_NOT_FOUND: 'That conversation does not exist (any more).',
  err_BUSY: 'An answer is still being written in this conversation. Wait for it or stop it, then try again.',
  err_RATE_LIMITED: 'You are sending messages too fast. Wait a minute, then try again.',
  err_MODEL_THROTTLED: 'The model is busy right now. Try again in a moment.',
  err_MODEL_ERROR: 'The model could not answer. Try again.',
  err_INTERNAL: 'Something went wrong on our side. Try again.',
};

/** Every UI string key. */
export type TextKey = keyof typeof en;

const ko: Record<TextKey, string> = {
  appTitle: '챗봇',
  newChat: '새 대화',
  conversations: '대화 목록',
  loadMore: '더 보기',
  noConversations: '아직 대화가 없습니다.',
  untitled: '새 대화',
  rename: '이름 바꾸기',
  delete: '삭제',
  renameTitle: '대화 이름 바꾸기',
  renameLabel: '제목',
  save: '저장',
  cancel: '취소',
  deleteTitle: '이 대화를 삭제할까요?',
  deleteBody: '대화와 모든 메시지가 영구히 삭제됩니다.',
  messageLabel: '메시지',
  messagePlaceholder: '메시지 입력 (Enter 전송, Shift+Enter 줄바꿈)',
  send: '보내기',
  stop: '중지',
  retry: '다시 시도',
  copy: '복사',
  copied: '복사됨',
  menu: '대화 목록 메뉴',
  language: '언어',
  theme: '테마',
  themeSystem: '시스템',
  themeLight: '밝게',
  themeDark: '어둡게',
  signIn: '로그인',
  signOut: '로그아웃',
  username: '사용자 이름',
  signInLocalHint: '로컬 스택: 아무 사용자 이름으로나 그 사용자로 로그인합니다.',
  signInFailed: '로그인하지 못했습니다. 다시 시도해 주세요.',
  model: '모델',
  instructions: '지침…',
  connOnline: '연결됨',
  connConnecting: '연결 중…',
  connOffline: '다시 연결 중…',
  you: '나',
  assistant: '어시스턴트',
  usage: '토큰: 입력 {input} · 출력 {output}',
  usageNotReported: '토큰: 보고되지 않음',
  settings: '설정',
  jumpToLatest: '최신 메시지로 이동',
  copyAnswer: '답변 복사',
  regenerate: '답변 다시 생성',
  editMessage: '메시지 편집',
  versions: '버전',
  prevVersion: '이전 버전',
  nextVersion: '다음 버전',
  tooManyVersions: '이 메시지는 더 이상 버전을 만들 수 없습니다.',
  groupToday: '오늘',
  groupYesterday: '어제',
  groupWeek: '지난 7일',
  groupOlder: '이전',
  searchLabel: '대화 검색',
  searchPlaceholder: '제목 검색',
  searchResults: '검색 결과',
  noResults: '제목이 일치하는 대화가 없습니다.',
  searchOlder: '이전 대화에서 더 찾기',
  emptyTitle: '무엇을 도와드릴까요?',
  suggestions: '추천 질문',
  suggest1: 'WebSocket과 HTTP 폴링의 차이를 설명해 주세요',
  suggest2: '다른 함수를 디바운스하는 TypeScript 함수를 작성해 주세요',
  suggest3: '도움이 되는 코드 리뷰의 조건을 정리해 주세요',
  suggest4: '부산 2박 3일 여행 일정을 짜 주세요',
  notConfirmed: '서버가 이 메시지를 확인하지 않았습니다. 연결을 확인한 뒤 다시 시도해 주세요.',
  charCount: '{count} / {max}자',
  tooLong: '{over}자 초과: 메시지를 줄여야 보낼 수 있습니다.',
  emptyChat: '무엇이든 물어보세요. 답변은 작성되는 대로 바로 표시됩니다.',
  stopped: '중지되었습니다.',
  interrupted: '답변이 끝나기 전에 중단되었습니다.',
  maxTokens: '답변이 길이 제한에 도달했습니다.',
  contentFiltered: '콘텐츠 필터가 답변을 차단했습니다.',
  loadFailed: '불러오지 못했습니다. 연결을 확인하고 다시 시도해 주세요.',
  notFoundConversation: '대화가 존재하지 않습니다.',
  sessionExpired: '세션이 끝났습니다. 다시 로그인해 주세요.',
  err_BAD_REQUEST: '서버가 메시지를 읽을 수 없습니다.',
  err_TOO_LARGE: '메시지가 너무 커서 보낼 수 없습니다.',
  err_NOT_FOUND: '대화가 존재하지 않습니다.',
  err_BUSY: '이 대화에서 아직 답변을 작성하고 있습니다. 끝나거나 중지한 뒤 다시 시도해 주세요.',
  err_RATE_LIMITED: '메시지를 너무 빨리 보내고 있습니다. 1분 뒤에 다시 시도해 주세요.',
  err_MODEL_THROTTLED: '지금은 모델이 바쁩니다. 잠시 뒤 다시 시도해 주세요.',
  err_MODEL_ERROR: '모델이 답변하지 못했습니다. 다시 시도해 주세요.',
  err_INTERNAL: '서버에 문제가 생겼습니다. 다시 시도해 주세요.',
};

const TABLES: Record<Lang, Record<TextKey, string>> = { en, ko };
const STORAGE_KEY = 'chatbot.lang';

let current: Lang = 'en';

/** Picks Korean when the browser's preferred languages put Korean first among ko/en. */
export function detectLang(languages: readonly string[]): Lang {
  for (const l of languages) {
    const base = l.toLowerCase().split('-')[0];
    if (base === 'ko') return 'ko';
    if (base === 'en') return 'en';
  }
  return 'en';
}

/** Sets the language from storage or the browser, before anything is shown. */
export function initLang(): Lang {
  const saved = localStorage.getItem(STORAGE_KEY);
  current = saved === 'ko' || saved === 'en' ? saved : detectLang(navigator.languages ?? [navigator.language]);
  return current;
}

/** The language in use. */
export function lang(): Lang {
  return current;
}

/** Switches and remembers the language; callers re-render their text. */
export function setLang(next: Lang): void {
  current = next;
  localStorage.setItem(STORAGE_KEY, next);
}

/** A UI string, with `{name}` placeholders filled in. */
export function t(key: TextKey, vars: Record<string, string | number> = {}): string {
  return TABLES[current][key].replace(/\{(\w+)\}/g, (_, name: string) => {
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
  return key in en ? key : 'err_INTERNAL';
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
