import {
  ApiError, ConversationSummary, DEFAULT_CONVERSATION_PAGE, DEFAULT_MESSAGE_PAGE, Instructions, isId, MAX_INSTRUCTIONS_BYTES, MAX_PAGE,
  MAX_TITLE_CHARS, MessageItem, Page, charCount, SetActiveResponse, UNAUTHORIZED_BODY, utf8Bytes,
} from '../contract/protocol';
import { HistoryRoute, matchHistoryRoute } from '../contract/routes';
import { checkSearchQuery, DEFAULT_SEARCH_PAGE, SEARCH_QUERY_PARAM, titleMatches } from '../contract/search';
import { hasVisibleText, invisibleTextMessage } from '../contract/text-checks';
import { realClock } from './adapters/clock';
import type { AttachmentService } from './attachments';
import { REFUSAL } from './domain/acceptance';
import { newId } from './domain/ids';
import { fittingCount } from './domain/page-budget';
import { effectiveStatus } from './domain/reply';
import { LEASE_MS, SEARCH_MAX_READ } from './domain/runtime-limits';
import type { Clock } from './ports/clock';
import { BadCursorError, ConversationRecord, leaseTaken, Store, StoredMessage } from './ports/store';
import { activePage, pageVersions, switchActive } from './tree';

/** An HTTP request as the history API sees it (no AWS event shape). */
export interface HistoryRequest {
  method: string;
  /** Path without the `/api` prefix, e.g. `/conversations/abc/messages`. */
  path: string;
  query: Record<string, string | undefined>;
  body?: string;
}

/** An HTTP answer. */
export interface HistoryResponse {
  statusCode: number;
  body?: unknown;
  /** Extra headers (a redirect's `location`). */
  headers?: Record<string, string>;
}

class HttpError extends Error {
  constructor(public readonly statusCode: number, public readonly code: string, message: string) { super(message); }
}

const notFound = () => new HttpError(404, 'NOT_FOUND', 'There is no such conversation.');
const { noMessage: NO_MESSAGE, busy: BUSY } = REFUSAL;

function summary(c: ConversationRecord): ConversationSummary {
  return {
    conversationId: c.conversationId, title: c.title, createdAt: c.createdAt, updatedAt: c.updatedAt, ...(c.modelId ? { modelId: c.modelId } : {}),
  };
}

function parseLimit(raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > MAX_PAGE) throw new HttpError(400, 'BAD_REQUEST', `limit must be an integer from 1 to ${MAX_PAGE}.`);
  return n;
}

/**
 * Deletes a conversation and every item that belongs to it: its messages and reply pointers,
 * then its messages' claims. The conversation item goes first so it leaves the list at once and
 * a concurrent generator cannot recreate its reply (the reply updates are conditional).
 */
export async function deleteConversation(store: Store, user: string, conversationId: string, attachments?: AttachmentService): Promise<boolean> {
  if (!(await store.conversations.delete(user, conversationId))) return false;
  await store.claims.delete(user, await store.messages.deleteAll(user, conversationId));
  await attachments?.deleteForConversation(user, conversationId);
  return true;
}

/**
 * The history API of PROTOCOL §2 over the store. `user` comes only from the verified token; a
 * conversation of another user is indistinguishable from a missing one (404).
 */
export class HistoryService {
  constructor(private readonly store: Store, private readonly clock: Clock = realClock, private readonly attachments?: AttachmentService) {}

  public async handle(user: string | undefined, req: HistoryRequest): Promise<HistoryResponse> {
    if (!user) return { statusCode: 401, body: UNAUTHORIZED_BODY };
    try {
      return await this.route(user, req);
    } catch (err) {
      if (err instanceof HttpError) return { statusCode: err.statusCode, body: { code: err.code, message: err.message } satisfies ApiError };
      if (err instanceof BadCursorError) return { statusCode: 400, body: { code: 'BAD_REQUEST', message: 'The cursor is not valid.' } };
      throw err;
    }
  }

  private async route(user: string, req: HistoryRequest): Promise<HistoryResponse> {
    const path = req.path.length > 1 ? req.path.replace(/\/$/, '') : req.path;
    const match = matchHistoryRoute(req.method, path);
    if (!match) throw new HttpError(404, 'NOT_FOUND', 'No such route.');
    if (match.route.path.startsWith('/attachments')) return this.attachment(user, match.route, match.pathParameters?.id, req);
    const conversationId = match.pathParameters?.id;
    // An id that cannot exist is as missing as one that does not.
    if (conversationId !== undefined && !isId(conversationId)) throw notFound();
    switch (`${match.route.method} ${match.route.path}`) {
      case 'GET /conversations':
        if (req.query[SEARCH_QUERY_PARAM] !== undefined) return { statusCode: 200, body: await this.search(user, req) };
        return { statusCode: 200, body: await this.list(user, req) };
      case 'GET /conversations/{id}/messages':
        return { statusCode: 200, body: await this.messages(user, conversationId!, req) };
      case 'GET /conversations/{id}': {
        const c = await this.store.conversations.get(user, conversationId!);
        if (!c) throw notFound();
        return { statusCode: 200, body: summary(c) };
      }
      case 'PATCH /conversations/{id}':
        return { statusCode: 200, body: await this.rename(user, conversationId!, req.body) };
      case 'PUT /conversations/{id}/active':
        return this.setActive(user, conversationId!, req.body);
      case 'DELETE /conversations/{id}':
        if (!(await deleteConversation(this.store, user, conversationId!, this.attachments))) throw notFound();
        return { statusCode: 204 };
      case 'GET /instructions': {
        const stored = await this.store.instructions.get(user);
        return { statusCode: 200, body: (stored ?? { text: '' }) satisfies Instructions };
      }
      case 'PUT /instructions':
        return { statusCode: 200, body: await this.putInstructions(user, req.body) };
      default:
        throw new Error(`history route ${match.routeKey} has no implementation`);
    }
  }

  /** The attachment routes (PROTOCOL §15); 404 when the deployment has no attachments bucket. */
  private async attachment(user: string, route: HistoryRoute, id: string | undefined, req: HistoryRequest): Promise<HistoryResponse> {
    const a = this.attachments;
    if (!a) throw new HttpError(404, 'NOT_FOUND', 'Attachments are turned off on this deployment.');
    switch (`${route.method} ${route.path}`) {
      case 'POST /attachments': return a.create(user, req.body);
      case 'GET /attachments/{id}': return a.info(user, id!);
      case 'POST /attachments/{id}/complete': return a.complete(user, id!);
      default: return a.content(user, id!, req.query.redirect !== 'false');
    }
  }

  private async list(user: string, req: HistoryRequest): Promise<Page<ConversationSummary>> {
    const page = await this.store.conversations.list(user, parseLimit(req.query.limit, DEFAULT_CONVERSATION_PAGE), req.query.cursor);
    return { items: page.items.map(summary), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
  }

  /** A title search (PROTOCOL §2): bounded by {@link SEARCH_MAX_READ} conversations read a request. */
  private async search(user: string, req: HistoryRequest): Promise<Page<ConversationSummary>> {
    const query = checkSearchQuery(req.query[SEARCH_QUERY_PARAM] ?? '');
    if ('error' in query) throw new HttpError(400, 'BAD_REQUEST', query.error);
    const limit = parseLimit(req.query.limit, DEFAULT_SEARCH_PAGE);
    const page = await this.store.conversations.search(user, (c) => titleMatches(c.title, query.key), limit, SEARCH_MAX_READ, req.query.cursor);
    return { items: page.items.map(summary), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
  }

  private async messages(user: string, conversationId: string, req: HistoryRequest): Promise<Page<MessageItem>> {
    const limit = parseLimit(req.query.limit, DEFAULT_MESSAGE_PAGE);
    const tree = this.store.tree;
    if (!tree) return this.linearMessages(user, conversationId, limit, req.query.cursor);
    // The active path (PROTOCOL §13): O(page) reads whatever the number of branches.
    const root = await tree.root(user, conversationId);
    if (!root) throw notFound();
    const page = await activePage(tree, user, conversationId, root, limit, req.query.cursor);
    const now = this.clock.now();
    const items = page.items.map((m) => {
      const item = this.item(m.node, now);
      item.parentId = m.parentId;
      const versions = pageVersions(m);
      if (versions) item.versions = versions;
      return item;
    });
    // Bounded by bytes too (newest first, at least one): the rest is behind the cursor.
    const fit = fittingCount(items);
    const more = fit < items.length || page.more;
    const nextCursor = more ? tree.cursorOf(user, conversationId, page.items[fit - 1].node.sk) : undefined;
    return { items: items.slice(0, fit).reverse(), ...(nextCursor ? { nextCursor } : {}) };
  }

  /** A page of a store without the tree: newest first in sort-key order. */
  private async linearMessages(user: string, conversationId: string, limit: number, cursor?: string): Promise<Page<MessageItem>> {
    if (!(await this.store.conversations.get(user, conversationId))) throw notFound();
    const page = await this.store.messages.newestFirst(user, conversationId, limit, cursor);
    const now = this.clock.now();
    let items = page.items.map((s) => this.item(s, now));
    const fit = fittingCount(items);
    const nextCursor = fit < items.length ? this.store.messages.cursorAfter(user, conversationId, page.items[fit - 1]) : page.nextCursor;
    items = items.slice(0, fit).reverse();
    return { items, ...(nextCursor ? { nextCursor } : {}) };
  }

  private item(s: StoredMessage, now: number): MessageItem {
    const item: MessageItem = { messageId: s.messageId, role: s.role, text: s.text, status: effectiveStatus(s, now), createdAt: s.createdAt };
    if (s.usage) item.usage = s.usage;
    if (s.modelId) item.modelId = s.modelId;
    if (s.attachments) item.attachments = s.attachments;
    return item;
  }

  /**
   * `PUT /conversations/{id}/active` (PROTOCOL §13): under the conversation's lease for a moment,
   * so it never races a turn being accepted; 409 BUSY while a reply holds it.
   */
  private async setActive(user: string, conversationId: string, body: string | undefined): Promise<HistoryResponse> {
    let messageId: unknown;
    try { messageId = (JSON.parse(body ?? '') as { messageId?: unknown })?.messageId; } catch { messageId = undefined; }
    if (!isId(messageId)) throw new HttpError(400, 'BAD_REQUEST', 'The body must be JSON {"messageId": "<id>"}.');
    const tree = this.store.tree;
    if (!tree) throw new HttpError(404, 'NOT_FOUND', NO_MESSAGE);
    const holder = newId();
    const now = this.clock.now();
    const lease = await this.store.conversations.acquireLease(user, conversationId, holder, now, now + LEASE_MS);
    if (lease === 'missing') throw notFound();
    if (!leaseTaken(lease)) throw new HttpError(409, 'BUSY', BUSY);
    let released = false;
    try {
      const r = await switchActive(tree, user, conversationId, messageId, holder);
      if (r === 'missing') throw new HttpError(404, 'NOT_FOUND', NO_MESSAGE);
      if (r === 'busy') throw new HttpError(409, 'BUSY', BUSY);
      released = true;
      return { statusCode: 200, body: { activeLeafId: r.leafId } satisfies SetActiveResponse };
    } finally {
      if (!released) await this.store.conversations.releaseLease(user, conversationId, holder);
    }
  }

  /** PUT /instructions: at most MAX_INSTRUCTIONS_BYTES of UTF-8; a text that shows nothing clears them. */
  private async putInstructions(user: string, body: string | undefined): Promise<Instructions> {
    let text: unknown;
    try { text = (JSON.parse(body ?? '') as { text?: unknown })?.text; } catch { throw new HttpError(400, 'BAD_REQUEST', 'The body must be JSON {"text": "…"}.'); }
    if (typeof text !== 'string') throw new HttpError(400, 'BAD_REQUEST', 'text must be a string ("" clears the instructions).');
    if (utf8Bytes(text) > MAX_INSTRUCTIONS_BYTES) {
      throw new HttpError(413, 'TOO_LARGE', `Instructions may be at most ${MAX_INSTRUCTIONS_BYTES} bytes of UTF-8 (a Hangul character is 3).`);
    }
    return this.store.instructions.put(user, hasVisibleText(text) ? text : '', this.clock.now());
  }

  private async rename(user: string, conversationId: string, body: string | undefined): Promise<ConversationSummary> {
    let title: unknown;
    try { title = (JSON.parse(body ?? '') as { title?: unknown })?.title; } catch { throw new HttpError(400, 'BAD_REQUEST', 'The body must be JSON {"title": "…"}.'); }
    if (typeof title !== 'string' || title.trim().length === 0) throw new HttpError(400, 'BAD_REQUEST', 'title must be a non-empty string.');
    if (!hasVisibleText(title)) throw new HttpError(400, 'BAD_REQUEST', invisibleTextMessage('title'));
    const clean = title.trim().replace(/\s+/g, ' ');
    if (charCount(clean) > MAX_TITLE_CHARS) throw new HttpError(400, 'BAD_REQUEST', `A title may be at most ${MAX_TITLE_CHARS} characters.`);
    const c = await this.store.conversations.rename(user, conversationId, clean);
    if (!c) throw notFound();
    return summary(c);
  }
}
