/** The history HTTP API (PROTOCOL §2), with the ID token as a bearer token. */
import type { ApiError, ConversationSummary, MessageItem, Page } from '../core/protocol';

/** An HTTP API answer that was not a success. */
export class ApiRequestError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
    this.name = 'ApiRequestError';
  }
}

/** Typed calls to the history API. */
export class HistoryApi {
  constructor(private readonly baseUrl: string, private readonly token: () => Promise<string>) {}

  /** A page of conversations, most recently updated first. */
  listConversations(cursor?: string, limit = 20): Promise<Page<ConversationSummary>> {
    return this.call('GET', `/conversations${query({ limit, cursor })}`);
  }

  /** A page of messages: the first page is the newest; items inside a page are oldest first. */
  listMessages(conversationId: string, cursor?: string, limit = 50): Promise<Page<MessageItem>> {
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

  /** Deletes a conversation and its messages. */
  async remove(conversationId: string): Promise<void> {
    await this.call('DELETE', `/conversations/${encodeURIComponent(conversationId)}`);
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
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
