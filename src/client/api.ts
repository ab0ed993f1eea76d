/** The history HTTP API (PROTOCOL §2), with the ID token as a bearer token. */
import { DEFAULT_CONVERSATION_PAGE, DEFAULT_MESSAGE_PAGE, MAX_PAGE, type ApiError, type ConversationSummary, type MessageItem, type Page } from '../contract/protocol';
import { SEARCH_QUERY_PARAM } from '../contract/search';

/** An HTTP API answer that was not a success. */
export class ApiRequestError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
    this.name = 'ApiRequestError';
  }
}

/** Page sizes the client asks for. */
export interface PageSizes {
  conversations: number;
  messages: number;
}

/** The protocol's default page sizes. */
export const DEFAULT_PAGE_SIZES: PageSizes = { conversations: DEFAULT_CONVERSATION_PAGE, messages: DEFAULT_MESSAGE_PAGE };

/**
 * Page sizes: the protocol defaults, or one smaller size from localStorage `chatbot.pageSize`
 * (1–100), which makes paging visible with a handful of messages (tests, demos).
 */
export function pageSizesFrom(storage: Pick<Storage, 'getItem'>): PageSizes {
  const n = Number(storage.getItem('chatbot.pageSize'));
  return Number.isInteger(n) && n >= 1 && n <= MAX_PAGE ? { conversations: n, messages: n } : DEFAULT_PAGE_SIZES;
}

/** Typed calls to the history API. */
export class HistoryApi {
  constructor(
    private readonly baseUrl: string,
    private readonly token: () => Promise<string>,
    private readonly pages: PageSizes = DEFAULT_PAGE_SIZES,
  ) {}

  /** A page of conversations, most recently updated first. */
  listConversations(cursor?: string, limit = this.pages.conversations): Promise<Page<ConversationSummary>> {
    return this.call('GET', `/conversations${query({ limit, cursor })}`);
  }

  /**
   * A title search (PROTOCOL §2 `q`): matches most recently updated first. The server reads a
   * bounded number of conversations a request, so a page may be short (even empty) and still
   * have a `nextCursor` that searches older ones.
   */
  searchConversations(q: string, cursor?: string, limit = this.pages.conversations): Promise<Page<ConversationSummary>> {
    return this.call('GET', `/conversations${query({ [SEARCH_QUERY_PARAM]: q, limit, cursor })}`);
  }

  /** A page of messages: the first page is the newest; items inside a page are oldest first. */
  listMessages(conversationId: string, cursor?: string, limit = this.pages.messages): Promise<Page<MessageItem>> {
    return this.call('GET', `/conversations/${encodeURIComponent(conversationId)}/messages${query({ limit, cursor })}`);
  }

  /** One conversation's summary. */
  getConversation(conversationId: string): Promise<ConversationSummary> {
    return this.call('GET', `/conversations/${encodeURIComponent(conversationId)}`);
  }

  /** Renames a conversation. */
  rename(conversationId: string, title: string): Promise<ConversationSummary> {
    return this.call('PATCH', `/conversations/${encodeURIComponent(conversationId)}`, { title });
  }

  /** Makes the active path go through `messageId` (a sibling version); PROTOCOL §13. */
  async setActive(conversationId: string, messageId: string): Promise<void> {
    await this.call('PUT', `/conversations/${encodeURIComponent(conversationId)}/active`, { messageId });
  }

  /** Deletes a conversation and its messages. */
  async remove(conversationId: string): Promise<void> {
    await this.call('DELETE', `/conversations/${encodeURIComponent(conversationId)}`);
  }

  /** One call: `path` below the API's base URL, `body` sent as JSON; a non-2xx answer throws {@link ApiRequestError}. */
  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { authorization: `Bearer ${await this.token()}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${this.baseUrl.replace(/\/+$/, '')}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
    });
    if (res.status === 204) return undefined as T;
    const data = (await res.json().catch(() => ({}))) as T & Partial<ApiError>;
    if (!res.ok) throw new ApiRequestError(res.status, data.code ?? 'INTERNAL', data.message ?? `HTTP ${res.status}`);
    return data;
  }
}

function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}
