/**
 * Entry point: reads /config.json, signs in, then wires the sidebar, the chat view, the composer
 * and the WebSocket together. Everything else lives in its own module.
 */
import { ApiRequestError, HistoryApi, pageSizesFrom } from './api';
import { attachHook } from './attach-hook';
import { ChatController } from './chat';
import { Composer } from './composer';
import { byId, h } from './dom';
import { initLang, labelled, lang, localize, setLang, t, translateDom, type Lang, type TextKey } from './i18n';
import { mountIcons } from './icons';
import { imeHandles, trackComposition } from './keys';
import { modelPicker } from './models';
import { SettingsMenu } from './settings-menu';
import { Sidebar } from './sidebar';
import type { SidebarSearch } from './sidebar-search';
import { signIn, SessionExpiredError, type Session } from './sign-in';
import { ChatSocket, type ConnectionState } from './socket';
import { initTheme, setTheme, themeChoice, type ThemeChoice } from './theme';
import { MAX_INSTRUCTIONS_BYTES, type ClientConfig } from '../contract/protocol';
import { checkSearchQuery, MAX_SEARCH_QUERY_CHARS } from '../contract/search';

async function loadConfig(): Promise<ClientConfig> {
  const res = await fetch('/config.json', { cache: 'no-store' });
  if (!res.ok) throw new Error(`/config.json: HTTP ${res.status}`);
  return (await res.json()) as ClientConfig;
}

let toastTimer: ReturnType<typeof setTimeout> | undefined;
/** Shows `key` for a few seconds, in the current language (re-translated on a switch). */
function toast(key: TextKey): void {
  showToast(localize(byId('toast'), key));
}
/** Shows a text that is no UI string (an unexpected error). */
function toastText(text: string): void {
  const el = byId('toast');
  delete el.dataset.i18n;
  delete el.dataset.i18nVars;
  el.textContent = text;
  showToast(el);
}
function showToast(el: HTMLElement): void {
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => {
    el.hidden = true;
  }, 6000);
}

/** The sign-in screen, shown only when sign-in needs the person. */
function signInUi(config: ClientConfig) {
  const screen = byId('sign-in');
  const form = byId<HTMLFormElement>('local-login');
  const redirect = byId<HTMLButtonElement>('cognito-login');
  const error = byId('sign-in-error');
  return {
    askUsername(message?: string): Promise<string> {
      screen.hidden = false;
      form.hidden = false;
      error.hidden = !message;
      error.textContent = message ? `${t('signInFailed')} (${message})` : '';
      const input = byId<HTMLInputElement>('username');
      input.focus();
      return new Promise<string>((resolve) => {
        const submit = (e: Event) => {
          e.preventDefault();
          if (!input.value.trim()) return;
          form.removeEventListener('submit', submit);
          resolve(input.value);
        };
        form.addEventListener('submit', submit);
      });
    },
    askRedirect(): Promise<void> {
      screen.hidden = false;
      redirect.hidden = false;
      redirect.focus();
      return new Promise<void>((resolve) => redirect.addEventListener('click', () => resolve(), { once: true }));
    },
    config,
  };
}

function connectionLabel(state: ConnectionState): string {
  return t(state === 'online' ? 'connOnline' : state === 'connecting' ? 'connConnecting' : 'connOffline');
}

function routeId(): string | undefined {
  return /^#\/c\/([A-Za-z0-9_-]{8,64})$/.exec(location.hash)?.[1];
}

async function start(): Promise<void> {
  // config.json is fetched while the language's table (English only) is.
  const configRead = loadConfig();
  configRead.catch(() => undefined);
  initTheme();
  await initLang();
  mountIcons();
  translateDom();
  const config = await configRead;
  const session: Session = await signIn(config, signInUi(config));
  byId('sign-in').hidden = true;
  byId('app').hidden = false;

  const sessionEnded = () => {
    toast('sessionExpired');
    void session.signOut().then(() => setTimeout(() => location.reload(), 1500));
  };
  const api = new HistoryApi(config.apiUrl, () => session.idToken(), pageSizesFrom(localStorage));
  const composer = new Composer({
    form: byId<HTMLFormElement>('composer'),
    input: byId<HTMLTextAreaElement>('message-input'),
    send: byId<HTMLButtonElement>('send'),
    stop: byId<HTMLButtonElement>('stop'),
    counter: byId('char-count'),
    onSend: (text) => chat.send(text, undefined, undefined, attach?.take()),
    onStop: () => chat.stop(),
  }, config.limits.maxInputChars);
  const attach = attachHook({ config: config.attachments, api, h, localize, lang, composer }, () => toast('loadFailed'));
  const historyError = (e: unknown) => (e instanceof ApiRequestError && e.status === 401 ? sessionEnded() : toast('loadFailed'));
  const search = lazySearch(api, historyError);
  const sidebar = new Sidebar(api, {
    deleted: (id) => {
      chat.forget(id);
      void search.then((s) => s?.forget(id));
    },
    renamed: () => chat.updateTitle(),
    error: historyError,
  });
  let connState: ConnectionState = 'connecting';
  const connection = byId('connection');
  const showConnection = () => {
    connection.dataset.state = connState;
    connection.textContent = connectionLabel(connState);
  };
  const socket = new ChatSocket(config.webSocketUrl, () => session.idToken(), {
    frame: (f) => chat.onFrame(f),
    state: (s) => {
      connState = s;
      showConnection();
      chat.onConnection(s);
    },
    fatal: (e) => (e instanceof SessionExpiredError ? sessionEnded() : toastText(String(e))),
  });
  const modelButton = byId<HTMLButtonElement>('model-button');
  const picker = modelPicker(config, modelButton, byId('model-panel'));
  const setGenerating = (g: boolean) => {
    composer.setGenerating(g);
    modelButton.disabled = g;
  };
  const editor = { Composer, h, labelled, localize, imeHandles, trackComposition, api, attach: attach?.editor };
  const chat = new ChatController({ config, api, socket, sidebar, picker, editor, toast, sessionEnded, setGenerating });

  byId('user-name').textContent = session.userName;
  byId('user-name').title = session.userName;

  byId('sign-out').addEventListener('click', () => {
    socket.stop();
    void session.signOut().then(() => location.reload());
  });
  const switchLanguage = (next: Lang) => void setLang(next).then(() => {
    // Static markup and every dynamic string made with localize() (notes, usage, errors, labels).
    translateDom();
    sidebar.retranslate();
    chat.updateTitle();
    composer.refresh();
    showConnection();
  }, () => toast('loadFailed'));
  new SettingsMenu({
    value: (setting) => (setting === 'lang' ? lang() : themeChoice()),
    choose: (setting, value) => (setting === 'lang' ? switchLanguage(value as Lang) : setTheme(value as ThemeChoice)),
  });
  byId('instructions-item').addEventListener('click', () => void import('./instructions.js').then(
    (m) => m.openInstructions({ api, h, maxBytes: MAX_INSTRUCTIONS_BYTES, saved: toastText }), () => toast('loadFailed')));
  // The empty state's suggested prompts send themselves.
  byId('empty-chat').addEventListener('click', (e) => {
    const suggestion = (e.target as Element).closest('.suggestion');
    if (suggestion?.textContent) composer.sendText(suggestion.textContent);
  });
  wireShell(() => composer.focus());
  composer.focus();

  window.addEventListener('hashchange', () => {
    const id = routeId();
    if (id !== chat.current || !id) void chat.open(id);
    closeDrawer();
  });
  byId('new-chat').addEventListener('click', () => {
    // pushState, not location.hash: no hashchange, so the view switches now, exactly once.
    if (routeId()) history.pushState(null, '', '#/');
    void chat.open(undefined);
    composer.focus();
  });
  socket.start();
  // The title of a conversation opened by its address is known once the sidebar has loaded.
  await Promise.all([sidebar.reload().then(() => chat.updateTitle()), chat.open(routeId())]);
  // Back to the message box only if the loading left the focus nowhere: a person who focused
  // something meanwhile (the settings menu, the sidebar) keeps it.
  if (!document.activeElement || document.activeElement === document.body) composer.focus();
}

/**
 * The sidebar search, fetched as its own chunk when the box is first focused or typed in; resolves
 * with it then (undefined should the chunk not arrive).
 */
function lazySearch(api: HistoryApi, onError: (e: unknown) => void): Promise<SidebarSearch | undefined> {
  const box = byId('conv-search');
  return new Promise((resolve) => {
    const load = () => {
      box.removeEventListener('focus', load);
      box.removeEventListener('input', load);
      import('./sidebar-search.js').then(
        (m) => resolve(new m.SidebarSearch({ api, onError, h, byId, localize, checkSearchQuery, maxChars: MAX_SEARCH_QUERY_CHARS })),
        (e: unknown) => {
          onError(e);
          resolve(undefined);
        });
    };
    box.addEventListener('focus', load);
    box.addEventListener('input', load);
  });
}

function closeDrawer(): void {
  byId('app').classList.remove('nav-open');
  byId('menu').setAttribute('aria-expanded', 'false');
}

/** The phone-width drawer and the global keyboard shortcuts. */
function wireShell(focusComposer: () => void): void {
  const app = byId('app');
  const menu = byId('menu');
  menu.addEventListener('click', () => {
    const open = !app.classList.contains('nav-open');
    app.classList.toggle('nav-open', open);
    menu.setAttribute('aria-expanded', String(open));
    if (open) byId('new-chat').focus();
  });
  byId('scrim').addEventListener('click', closeDrawer);
  document.addEventListener('keydown', (e) => {
    const mod = e.ctrlKey || e.metaKey;
    if (mod && e.shiftKey && e.key.toLowerCase() === 'o') {
      e.preventDefault();
      byId('new-chat').click();
    } else if (e.shiftKey && e.key === 'Escape') {
      e.preventDefault();
      focusComposer();
    } else if (e.key === 'Escape' && app.classList.contains('nav-open')) {
      closeDrawer();
      menu.focus();
    }
  });
}

start().catch((e: unknown) => {
  byId('fatal').hidden = false;
  byId('fatal').textContent = e instanceof Error ? e.message : String(e);
});
