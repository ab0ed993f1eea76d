/**
 * The open conversation and everything in flight: sending (split into parts when needed, resent
 * with the same messageId after a reconnect or when no `accepted` comes in time), streaming
 * replies in, stop, errors, and paging older messages in when the list is scrolled to its top.
 * The conversation is a tree (PROTOCOL §13): an edit sends a sibling of a user message, Regenerate
 * a sibling answer, and the version switcher moves the active path, which is then read again.
 */
import { ApiRequestError, type HistoryApi } from './api';
import { byId, newId } from './dom';
import { errorKey, t, type TextKey } from './i18n';
import { MessageList } from './message-list';
import { AssistantMessage, attachmentsSlot, userMessage } from './message-view';
import type { EditorDeps } from './edit-message';
import type { ModelPicker } from './models';
import { acceptTimeoutFrom, acceptWait, classifyDelta, HttpFollower, MAX_RESENDS, storedOutcome, type PendingSend, type Reply } from './replies';
import type { Sidebar } from './sidebar';
import type { ChatSocket, ConnectionState } from './socket';
import { addedVersion, versionIds } from './versions';
import type { MessageAttachment } from '../contract/attachments';
import { buildSendFrames, type ClientConfig, type MessageItem, type MessageStatus, type ServerFrame, type StopReason, type Usage } from '../contract/protocol';

/** The parts the controller drives besides its own elements. */
export interface ChatDeps {
  config: ClientConfig;
  api: HistoryApi;
  socket: ChatSocket;
  sidebar: Sidebar;
  picker: ModelPicker;
  /** What the inline editor (loaded on the first Edit) takes from the page. */
  editor: EditorDeps;
  setGenerating(generating: boolean): void;
  /** Shows a passing message; it follows a language switch. */
  toast(key: TextKey): void;
  sessionEnded(): void;
}

/** The chat view's controller. */
export class ChatController {
  private conversationId?: string;
  private viewToken = 0;
  private olderCursor?: string;
  private loadingOlder = false;
  /** A reply is being written (or a message waits for `accepted`) in the open conversation. */
  private busy = false;
  private readonly sends = new Map<string, PendingSend>();
  private readonly replies = new Map<string, Reply>();
  private readonly title = byId('chat-title');
  private readonly list = new MessageList(() => void this.loadOlder());
  private readonly follower: HttpFollower;
  /** The files of the user messages shown (an edit keeps them, PROTOCOL §15). */
  private readonly files = new WeakMap<Element, MessageAttachment[]>();
  /** Titles read for conversations the sidebar has not loaded (yet). */
  private readonly titles = new Map<string, string>();
  private readonly acceptTimeoutMs = acceptTimeoutFrom(localStorage);

  constructor(private readonly deps: ChatDeps) {
    this.follower = new HttpFollower(deps.api, (r, reason, usage) => this.finishReply(r, reason, usage), deps.sessionEnded, (r) => this.replyGone(r));
    byId('message-list').addEventListener('click', (e) => {
      const button = (e.target as Element).closest<HTMLButtonElement>('.answer-regenerate, .msg-edit, .versions button');
      const li = button?.closest<HTMLElement>('li.msg');
      // One answer at a time per conversation: anything else now could only earn BUSY.
      if (!button || !li || this.busy) return;
      if (button.matches('.msg-edit')) this.edit(li);
      else if (button.matches('.answer-regenerate')) this.regenerate(li);
      else void this.switchVersion(button);
    });
  }

  /** The open conversation (undefined: a new chat). */
  get current(): string | undefined {
    return this.conversationId;
  }

  /** Opens a conversation (or a new chat), reading its newest messages. */
  async open(conversationId: string | undefined): Promise<void> {
    const token = ++this.viewToken;
    this.conversationId = conversationId;
    this.olderCursor = undefined;
    this.list.clear(!conversationId);
    this.deps.sidebar.select(conversationId);
    this.updateTitle(true);
    this.updateGenerating();
    if (!conversationId) return;
    if (!this.deps.sidebar.title(conversationId)) void this.readTitle(conversationId, token);
    try {
      const page = await this.deps.api.listMessages(conversationId);
      if (token !== this.viewToken) return;
      const elements = page.items.map((m) => this.itemElement(m));
      // Messages sent here that the server has not accepted yet are not stored yet either.
      for (const p of this.sends.values()) {
        if (p.conversationId === conversationId) elements.push(...p.elements);
      }
      this.list.append(elements);
      this.olderCursor = page.nextCursor;
      this.updateGenerating();
    } catch (e) {
      if (token !== this.viewToken) return;
      if (e instanceof ApiRequestError && e.status === 404) {
        this.deps.toast('notFoundConversation');
        location.hash = '#/';
      } else {
        this.fail(e);
      }
    }
  }

  /**
   * Sends a message in the open conversation: after the active leaf, or (an edit) after
   * `parentId`, replacing the user message `replace` and everything below it.
   */
  send(text: string, parentId?: string, replace?: HTMLElement, files?: MessageAttachment[]): void {
    const messageId = newId();
    const conversationId = this.conversationId;
    // An edit of a stored message is its new version; one never accepted had no versions.
    const stored = replace?.dataset.messageId && !this.sends.has(replace.dataset.messageId);
    const versions = stored ? addedVersion(versionIds(replace, replace.dataset.messageId!), messageId) : undefined;
    if (replace) this.cut(replace);
    const view = new AssistantMessage(() => this.list.followIfAtEnd(), undefined, messageId);
    // The files show in the bubble at once, as history will show them.
    const user = this.userItem(text, messageId, parentId, versions, files);
    this.start({
      messageId,
      conversationId,
      // A split message carries the same attachmentIds on every part.
      frames: buildSendFrames(
        { messageId, text, conversationId, parentId, modelId: this.deps.picker.value, attachmentIds: files?.map((f) => f.attachmentId) },
        this.deps.config.limits.maxFrameBytes),
      elements: [user, view.element],
      view,
    });
  }

  /** Stops the reply being written in the open conversation. */
  stop(): void {
    for (const r of this.replies.values()) {
      if (r.conversationId !== this.conversationId || r.finished) continue;
      r.stopPending = !this.deps.socket.send({ action: 'stop', replyId: r.replyId });
    }
    for (const p of this.sends.values()) if (this.inView(p)) p.stopRequested = true;
  }

  /** Handles one frame from the server. */
  onFrame(frame: ServerFrame): void {
    switch (frame.type) {
      case 'accepted': {
        const p = this.sends.get(frame.messageId);
        if (!p) return;
        this.sends.delete(frame.messageId);
        clearTimeout(p.acceptTimer);
        const r: Reply = {
          replyId: frame.replyId,
          conversationId: frame.conversationId,
          view: p.view,
          nextSeq: 0,
          viaHttp: false,
          finished: false,
          stopPending: false,
        };
        this.replies.set(r.replyId, r);
        p.view.setReplyId(r.replyId);
        p.view.model = frame.modelId;
        if (p.regenerates) p.view.setVersions(addedVersion(p.regenerates, r.replyId));
        if (!p.conversationId) this.adoptNewConversation(p, frame.conversationId);
        if (p.stopRequested) r.stopPending = !this.deps.socket.send({ action: 'stop', replyId: r.replyId });
        // A send repeated on a newer connection may have been generating on the old one already.
        if (p.resent) this.readOverHttp(r);
        this.updateGenerating();
        return;
      }
      case 'delta': {
        const r = this.replies.get(frame.replyId);
        if (!r || r.finished || r.viaHttp) return;
        const kind = classifyDelta(r.nextSeq, frame.seq);
        if (kind === 'gap') {
          this.readOverHttp(r);
        } else if (kind === 'apply') {
          r.nextSeq++;
          r.view.markdown.append(frame.text);
        }
        return;
      }
      case 'done': {
        const r = this.replies.get(frame.replyId);
        if (!r || r.finished) return;
        if (r.viaHttp) {
          r.done = frame;
          this.follower.readNow(r);
        } else {
          this.finishReply(r, frame.stopReason, frame.usage);
        }
        return;
      }
      case 'error':
        this.onError(frame);
        return;
      case 'title':
        this.deps.sidebar.setTitle(frame.conversationId, frame.title);
        if (frame.conversationId === this.conversationId) this.updateTitle();
        return;
      default:
    }
  }

  /** Connection changes: replies in flight move to HTTP; sends in flight go out again. */
  onConnection(state: ConnectionState): void {
    if (state !== 'online') {
      // Deltas of a reply follow the connection that asked for it: that one is gone.
      for (const r of this.replies.values()) if (!r.finished) this.readOverHttp(r);
      return;
    }
    for (const p of this.sends.values()) if (p.state !== 'failed') this.transmit(p);
    for (const r of this.replies.values()) {
      if (r.stopPending && !r.finished) r.stopPending = !this.deps.socket.send({ action: 'stop', replyId: r.replyId });
    }
  }

  /** Leaves a conversation that was deleted. */
  forget(conversationId: string): void {
    if (this.conversationId === conversationId) location.hash = '#/';
  }

  /** Re-renders the title (and the model shown) after a rename or language switch; `opened`: see ModelPicker.show. */
  updateTitle(opened?: boolean): void {
    const id = this.conversationId;
    this.title.textContent = id ? this.deps.sidebar.title(id) || this.titles.get(id) || t('untitled') : t('newChat');
    this.deps.picker.show(id && this.deps.sidebar.summary(id)?.modelId, opened);
    document.title = `${this.title.textContent} · ${t('appTitle')}`;
  }

  private start(p: Pick<PendingSend, 'messageId' | 'conversationId' | 'frames' | 'elements' | 'view' | 'regenerates'>): void {
    const pending: PendingSend = { ...p, state: 'queued', resent: false, resends: 0, stopRequested: false, viewToken: this.viewToken };
    this.sends.set(p.messageId, pending);
    this.list.append(p.elements, true);
    this.transmit(pending);
    this.updateGenerating();
  }

  /** Removes `li` and everything below it, and forgets the failed sends shown there. */
  private cut(li: HTMLElement): void {
    const shown = [...this.sends.values()].filter((p) => p.view.element.isConnected);
    this.list.removeFrom(li);
    for (const p of shown) {
      if (p.view.element.isConnected) continue;
      clearTimeout(p.acceptTimer);
      this.sends.delete(p.messageId);
    }
  }

  /**
   * Edit: the inline editor (its own chunk), which sends the new text as a sibling of user message
   * `li`, with the files of `li` the editor kept.
   */
  private edit(li: HTMLElement): void {
    import('./edit-message.js').then((m) => m.openEditor(li, this.deps.config.limits.maxInputChars, (text, files) => {
      if (this.busy) return false;
      this.send(text, this.parentOf(li), li, files);
      return true;
    }, this.deps.editor, this.files.get(li)), () => this.deps.toast('loadFailed'));
  }

  /** The message user message `li` follows: as stored, else the answer above it, else the root. */
  private parentOf(li: HTMLElement): string | undefined {
    let above = li.previousElementSibling as HTMLElement | null;
    while (above && !above.dataset.replyId) above = above.previousElementSibling as HTMLElement | null;
    return li.dataset.parentId ?? above?.dataset.replyId ?? this.conversationId;
  }

  /** Regenerate: a new sibling of answer `li`, replacing it and everything below it. */
  private regenerate(li: HTMLElement): void {
    const conversationId = this.conversationId;
    const replyId = li.dataset.replyId;
    let user = li.previousElementSibling as HTMLElement | null;
    while (user && !user.matches('.user')) user = user.previousElementSibling as HTMLElement | null;
    const userMessageId = li.dataset.parentId ?? user?.dataset.messageId;
    if (!conversationId || !replyId || !userMessageId) return;
    const messageId = newId();
    const regenerates = versionIds(li, replyId);
    this.cut(li);
    const view = new AssistantMessage(() => this.list.followIfAtEnd(), undefined, userMessageId);
    this.start({
      messageId,
      conversationId,
      frames: [{ action: 'regenerate', messageId, conversationId, userMessageId, modelId: this.deps.picker.value }],
      elements: [view.element],
      view,
      regenerates,
    });
  }

  /**
   * A version switcher's arrow: makes its sibling active on the server, then reads the new active
   * path again; focus stays on the switcher when the message switched to is on the newest page.
   */
  private async switchVersion(button: HTMLButtonElement): Promise<void> {
    const id = this.conversationId;
    const target = button.dataset.target;
    if (!id || !target) return;
    const arrow = button.classList.contains('version-next') ? '.version-next' : '.version-prev';
    try {
      await this.deps.api.setActive(id, target);
    } catch (e) {
      if (e instanceof ApiRequestError && e.status === 409) this.deps.toast('err_BUSY');
      else this.fail(e);
      return;
    }
    if (id !== this.conversationId) return;
    await this.open(id);
    const li = byId('message-list').querySelector(`[data-message-id="${target}"], [data-reply-id="${target}"]`);
    li?.scrollIntoView({ block: 'nearest' });
    (li?.querySelector<HTMLElement>(`${arrow}:enabled`) ?? li?.querySelector<HTMLElement>('.versions :enabled'))?.focus();
  }

  private transmit(p: PendingSend): void {
    const socket = this.deps.socket;
    if (!socket.open) return;
    if (p.state === 'sent' && p.sentOn !== socket.connection) p.resent = true;
    for (const f of p.frames) socket.send(f);
    p.state = 'sent';
    p.sentOn = socket.connection;
    clearTimeout(p.acceptTimer);
    p.acceptTimer = setTimeout(() => this.acceptOverdue(p), acceptWait(p.resends, this.acceptTimeoutMs));
  }

  /** No `accepted` in time: send again, or after the last resend show the message failed. */
  private acceptOverdue(p: PendingSend): void {
    if (this.sends.get(p.messageId) !== p || p.state !== 'sent') return;
    // Offline: the reconnect sends it again (and waits anew).
    if (!this.deps.socket.open) return;
    if (p.resends < MAX_RESENDS) {
      p.resends++;
      this.transmit(p);
      return;
    }
    p.state = 'failed';
    p.view.showError(p.refused ?? 'notConfirmed', () => this.retrySend(p));
    this.updateGenerating();
  }

  /** Retry of a message the server refused or never confirmed: the same messageId again. */
  private retrySend(p: PendingSend): void {
    p.state = 'queued';
    p.resent = false;
    p.resends = 0;
    p.refused = undefined;
    this.transmit(p);
    this.updateGenerating();
  }

  /** Reads the title of a conversation the sidebar does not know (opened by its address). */
  private async readTitle(conversationId: string, token: number): Promise<void> {
    try {
      const c = await this.deps.api.getConversation(conversationId);
      this.titles.set(conversationId, c.title);
      if (token === this.viewToken) this.updateTitle();
    } catch {
      // The messages' read says what is wrong (404, 401, offline); the title keeps its placeholder.
    }
  }

  private adoptNewConversation(p: PendingSend, conversationId: string): void {
    p.conversationId = conversationId;
    const now = new Date().toISOString();
    this.deps.sidebar.upsert({ conversationId, title: '', createdAt: now, updatedAt: now });
    if (p.viewToken === this.viewToken && !this.conversationId) {
      // The view already shows this conversation: name it without reloading it.
      this.conversationId = conversationId;
      history.replaceState(null, '', `#/c/${conversationId}`);
      this.deps.sidebar.select(conversationId);
      this.updateTitle();
    }
  }

  private onError(frame: Extract<ServerFrame, { type: 'error' }>): void {
    const p = frame.messageId ? this.sends.get(frame.messageId) : undefined;
    if (p && frame.code === 'BUSY' && p.state === 'sent' && (p.resends > 0 || p.resent)) {
      // The conversation may be busy with this very message: its first send, slow but not lost,
      // holds the conversation until it is claimed. Its `accepted` may still come; wait for it.
      p.refused = frame.code;
      return;
    }
    if (p) {
      p.state = 'failed';
      clearTimeout(p.acceptTimer);
      // The text's limit is enforced before sending: an edit or regenerate refused TOO_LARGE has
      // as many versions as the server keeps (PROTOCOL §13).
      const f = p.frames[0];
      const tree = f.action === 'regenerate' || ('parentId' in f && f.parentId);
      // NOT_FOUND of a message with files: its conversation or one of its files is gone (PROTOCOL §15).
      const files = frame.code === 'NOT_FOUND' && 'attachmentIds' in f && f.attachmentIds;
      p.view.showError(tree && frame.code === 'TOO_LARGE' ? 'tooManyVersions' : files ? 'attachNotFound' : frame.code, () => this.retrySend(p));
      this.updateGenerating();
      return;
    }
    const r = frame.replyId ? this.replies.get(frame.replyId) : undefined;
    if (r && !r.finished) {
      r.view.showError(frame.code);
      this.finishReply(r, 'error');
      return;
    }
    this.deps.toast(errorKey(frame.code));
  }

  private finishReply(r: Reply, reason: StopReason | MessageStatus, usage?: Usage): void {
    r.finished = true;
    clearTimeout(r.pollTimer);
    this.replies.delete(r.replyId);
    r.view.finish(reason, usage);
    const known = this.deps.sidebar.title(r.conversationId);
    const now = new Date().toISOString();
    this.deps.sidebar.upsert({ conversationId: r.conversationId, title: known ?? '', createdAt: now, updatedAt: now, modelId: r.view.model });
    this.updateGenerating();
  }

  /** The reply's conversation was deleted elsewhere: say so and stop reading (no sidebar entry). */
  private replyGone(r: Reply): void {
    r.finished = true;
    clearTimeout(r.pollTimer);
    this.replies.delete(r.replyId);
    r.view.showError('NOT_FOUND');
    this.updateGenerating();
  }

  private readOverHttp(r: Reply): void {
    this.follower.follow(r);
  }

  /** A user message with its files, which are kept for an edit of it. */
  private userItem(text: string, messageId: string, parentId?: string, versions?: MessageItem['versions'], files?: MessageAttachment[]): HTMLElement {
    const li = userMessage(text, messageId, parentId, versions, files?.length ? attachmentsSlot(files, this.deps.api) : undefined);
    if (files?.length) this.files.set(li, files);
    return li;
  }

  private itemElement(m: MessageItem): HTMLElement {
    if (m.role === 'user') {
      return this.userItem(m.text, m.messageId, m.parentId, m.versions, m.attachments);
    }
    const live = this.replies.get(m.messageId);
    if (live) return live.view.element;
    const view = new AssistantMessage(() => this.list.followIfAtEnd(), m.messageId, m.parentId);
    view.model = m.modelId;
    view.setVersions(m.versions);
    const outcome = storedOutcome(m);
    view.markdown.replace(m.text, outcome.final);
    if (outcome.final) {
      view.finish(outcome.reason, outcome.usage);
      if (m.status === 'error') view.showError('MODEL_ERROR');
    } else if (this.conversationId) {
      // Being written elsewhere (another tab, or before a reload): follow it over HTTP.
      const r: Reply = {
        replyId: m.messageId,
        conversationId: this.conversationId,
        view,
        nextSeq: 0,
        viaHttp: false,
        finished: false,
        stopPending: false,
      };
      this.replies.set(r.replyId, r);
      this.readOverHttp(r);
    }
    return view.element;
  }

  private async loadOlder(): Promise<void> {
    const id = this.conversationId;
    if (!id || !this.olderCursor || this.loadingOlder) return;
    const token = this.viewToken;
    this.loadingOlder = true;
    try {
      const page = await this.deps.api.listMessages(id, this.olderCursor);
      if (token !== this.viewToken) return;
      this.list.prepend(page.items.map((m) => this.itemElement(m)));
      this.olderCursor = page.nextCursor;
      this.updateGenerating();
    } catch (e) {
      this.fail(e);
    } finally {
      this.loadingOlder = false;
    }
  }

  private inView(p: PendingSend): boolean {
    return p.state !== 'failed' && (p.conversationId ? p.conversationId === this.conversationId : p.viewToken === this.viewToken);
  }

  private updateGenerating(): void {
    let busy = false;
    for (const p of this.sends.values()) busy ||= this.inView(p);
    for (const r of this.replies.values()) busy ||= !r.finished && r.conversationId === this.conversationId;
    this.busy = busy;
    this.deps.setGenerating(busy);
    // One answer at a time per conversation: an edit, regenerate or switch now could only earn BUSY.
    for (const b of byId('message-list').querySelectorAll<HTMLButtonElement>('.answer-regenerate, .msg-edit, .versions button')) {
      b.disabled = busy || b.matches('.versions :not([data-target])');
    }
  }

  private fail(e: unknown): void {
    if (e instanceof ApiRequestError && e.status === 401) this.deps.sessionEnded();
    else this.deps.toast('loadFailed');
  }
}
