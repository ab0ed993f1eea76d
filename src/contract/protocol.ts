/**
 * The wire contract (docs/PROTOCOL.md) between the web client, the handlers, the local stack and the
 * tests. One module, imported by all of them; it has no runtime dependencies so the browser bundle
 * can use it as it is. Fields may be added, never renamed or dropped.
 */

import { MAX_ATTACHMENTS_PER_MESSAGE, MessageAttachment } from './attachments';
import { hasVisibleText, invisibleTextMessage } from './text-checks';

/** Ids are 8–64 characters of [A-Za-z0-9_-]. */
export const ID_PATTERN = /^[A-Za-z0-9_-]{8,64}$/;

/** Defaults of the configurable limits (construct props / config.json `limits`). */
export const DEFAULT_MAX_INPUT_CHARS = 16_000;
export const DEFAULT_MAX_FRAME_BYTES = 32 * 1024;
/** API Gateway's own hard limit for one WebSocket message (frames reassembled). */
export const GATEWAY_MAX_MESSAGE_BYTES = 128 * 1024;
/** The most parts a split message may have (16,000 4-byte characters JSON-escaped fit in far fewer). */
export const MAX_PARTS = 16;
/** Incomplete part sets expire after this long. */
export const PART_TTL_SECONDS = 5 * 60;
/** Conversation titles are at most this many characters. */
export const MAX_TITLE_CHARS = 200;
/** HTTP paging: default and maximum `limit`. */
export const DEFAULT_CONVERSATION_PAGE = 20;
export const DEFAULT_MESSAGE_PAGE = 50;
export const MAX_PAGE = 100;
/** A `modelId` a frame may name is at most this many characters (the allowed list decides). */
export const MAX_MODEL_ID_CHARS = 256;
/** The most children one message (or the root) may have: versions of an edit or a regenerate. */
export const MAX_VERSIONS = 100;

export type ErrorCode =
  | 'BAD_REQUEST'
  | 'TOO_LARGE'
  | 'NOT_FOUND'
  | 'BUSY'
  | 'RATE_LIMITED'
  | 'MODEL_THROTTLED'
  | 'MODEL_ERROR'
  | 'INTERNAL';

export type StopReason = 'end_turn' | 'max_tokens' | 'stop_sequence' | 'stopped' | 'content_filtered' | 'interrupted';
export type MessageStatus = 'complete' | 'streaming' | 'stopped' | 'error' | 'interrupted';
export type Role = 'user' | 'assistant';

export interface Usage {
  inputTokens: number;
  outputTokens: number;
}

export interface MessagePart {
  index: number;
  count: number;
}

// ---- Client → server -------------------------------------------------------------------------

export interface SendMessageFrame {
  action: 'sendMessage';
  messageId: string;
  text: string;
  conversationId?: string;
  part?: MessagePart;
  /**
   * The message the new user message follows (docs/PROTOCOL.md §13): a reply on the conversation's
   * tree, or the `conversationId` itself (edit of the first message). Absent: the active leaf.
   */
  parentId?: string;
  /** One of the deployment's models (config.json `models`); absent: the conversation's, or the default. */
  modelId?: string;
  /** The caller's ready attachments (docs/PROTOCOL.md §15), at most {@link MAX_ATTACHMENTS_PER_MESSAGE}. */
  attachmentIds?: string[];
}

/** Answers a user message again: a new reply, sibling of its other replies (docs/PROTOCOL.md §13). */
export interface RegenerateFrame {
  action: 'regenerate';
  /** The client's id of this request (idempotency), answered in `accepted.messageId`. */
  messageId: string;
  conversationId: string;
  /** The user message to answer again. */
  userMessageId: string;
  /** One of the deployment's models (config.json `models`); absent: the conversation's, or the default. */
  modelId?: string;
}

export interface StopFrame {
  action: 'stop';
  replyId: string;
}

export interface PingFrame {
  action: 'ping';
}

export type ClientFrame = SendMessageFrame | RegenerateFrame | StopFrame | PingFrame;

// ---- Server → client -------------------------------------------------------------------------

export interface AcceptedFrame {
  type: 'accepted';
  messageId: string;
  conversationId: string;
  replyId: string;
  /** The model this reply is written by. */
  modelId: string;
}

export interface DeltaFrame {
  type: 'delta';
  replyId: string;
  seq: number;
  text: string;
}

export interface DoneFrame {
  type: 'done';
  replyId: string;
  conversationId: string;
  stopReason: StopReason;
  usage: Usage;
}

export interface ErrorFrame {
  type: 'error';
  code: ErrorCode;
  message: string;
  retryable: boolean;
  messageId?: string;
  replyId?: string;
}

export interface TitleFrame {
  type: 'title';
  conversationId: string;
  title: string;
}

export interface PongFrame {
  type: 'pong';
}

export type ServerFrame = AcceptedFrame | DeltaFrame | DoneFrame | ErrorFrame | TitleFrame | PongFrame;

// ---- HTTP API ----------------------------------------------------------------------------------

export interface ConversationSummary {
  conversationId: string;
  title: string;
  createdAt: string;
  updatedAt: string;
  /** The conversation's current model (the last one a message named, or the default it began with). */
  modelId?: string;
}

export interface MessageItem {
  messageId: string;
  role: Role;
  text: string;
  status: MessageStatus;
  createdAt: string;
  usage?: Usage;
  /** Assistant messages: the model that wrote it. */
  modelId?: string;
  /**
   * The message this one follows: the previous message of its branch, or the `conversationId` for
   * a first user message (docs/PROTOCOL.md §13). The server always sends it; optional here only so
   * that items made by older code and tests still type-check.
   */
  parentId?: string;
  /** Present when its parent has more than one child: all siblings in creation order, itself at `index`. */
  versions?: MessageVersions;
  /** User messages: the files sent with it (docs/PROTOCOL.md §15), in the order of `attachmentIds`. */
  attachments?: MessageAttachment[];
}

/** The siblings of a message (itself included), oldest first, and its own 0-based position. */
export interface MessageVersions {
  ids: string[];
  index: number;
}

/** Body of `PUT /api/conversations/{id}/active`. */
export interface SetActiveRequest {
  messageId: string;
}

/** Answer of `PUT /api/conversations/{id}/active`: the leaf the active path now ends at. */
export interface SetActiveResponse {
  activeLeafId: string;
}

/** `GET`/`PUT /api/instructions`: a user's standing instructions ("" when none). */
export interface Instructions {
  text: string;
  updatedAt?: string;
}

/** Per-user instructions are at most this many UTF-8 bytes (Hangul 3 bytes a character). */
export const MAX_INSTRUCTIONS_BYTES = 4000;

export interface Page<T> {
  items: T[];
  nextCursor?: string;
}

export interface ApiError {
  code: string;
  message: string;
}

/**
 * The body of an HTTP 401 from the history handler and the local stack. In AWS the HTTP API's JWT
 * authorizer refuses bad tokens first, with API Gateway's own `{"message":"Unauthorized"}`, which
 * neither HTTP APIs nor CloudFront can replace: clients act on the 401 status alone.
 */
export const UNAUTHORIZED_BODY: ApiError = {
  code: 'UNAUTHORIZED',
  message: 'Sign in again: the token is missing, invalid or expired.',
};

// ---- /config.json ------------------------------------------------------------------------------

export interface CognitoAuthConfig {
  mode: 'cognito';
  region: string;
  userPoolId: string;
  clientId: string;
  /** Managed login domain, e.g. https://x.auth.eu-west-1.amazoncognito.com */
  domain: string;
}

export interface LocalAuthConfig {
  mode: 'local';
}

export interface ClientConfig {
  webSocketUrl: string;
  apiUrl: string;
  auth: CognitoAuthConfig | LocalAuthConfig;
  /** The default model (kept for clients that know one model only). */
  model: { provider: 'bedrock' | 'offline' | 'openai'; modelId: string };
  /** The models a conversation may use, in picker order. Absent: `model` alone. */
  models?: ClientModel[];
  /** Which of `models` new conversations use. Absent: `model.modelId`. */
  defaultModelId?: string;
  limits: { maxInputChars: number; maxFrameBytes: number };
  /** Present when the deployment accepts attachments (docs/PROTOCOL.md §15); absent: no attach UI. */
  attachments?: ClientAttachmentsConfig;
}

/** What the client needs to offer attachments and pre-check files (the server checks again). */
export interface ClientAttachmentsConfig {
  /** MIME types a file may be declared as: images first, then documents. */
  imageTypes: string[];
  documentTypes: string[];
  maxImageBytes: number;
  maxDocumentBytes: number;
  maxImagesPerMessage: number;
  maxDocumentsPerMessage: number;
  maxNameChars: number;
}

/** A model of the client's picker. */
export interface ClientModel {
  modelId: string;
  label: { ko: string; en: string };
}

// ---- Helpers shared by client, server and tests ------------------------------------------------

export function isId(value: unknown): value is string {
  return typeof value === 'string' && ID_PATTERN.test(value);
}

const encoder = new TextEncoder();

/** UTF-8 byte length (Hangul is 3 bytes a character). */
export function utf8Bytes(text: string): number {
  return encoder.encode(text).length;
}

/** Length in Unicode code points: what `maxInputChars` counts. */
export function charCount(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

export interface FrameLimits {
  maxInputChars: number;
  maxFrameBytes: number;
}

export const DEFAULT_LIMITS: FrameLimits = {
  maxInputChars: DEFAULT_MAX_INPUT_CHARS,
  maxFrameBytes: DEFAULT_MAX_FRAME_BYTES,
};

/** What a refused `modelId` is answered with (the handler answers a well-formed but unlisted one the same way). */
export const MODEL_ID_MESSAGE = 'modelId must be one of the models config.json lists.';

function isModelIdShape(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_MODEL_ID_CHARS;
}

export type ParseResult =
  | { ok: true; frame: ClientFrame }
  | { ok: false; error: ErrorFrame };

function fail(code: ErrorCode, message: string, extra: { messageId?: string; replyId?: string } = {}): ParseResult {
  return { ok: false, error: { type: 'error', code, message, retryable: false, ...extra } };
}

/**
 * Parses and validates one client frame. Never throws. The `error` carries the frame's
 * `messageId`/`replyId` when it had a readable one. A part's own text is checked by bytes here;
 * the whole message's character limit is checked after reassembly (`checkMessageText`).
 */
export function parseClientFrame(raw: string, limits: FrameLimits = DEFAULT_LIMITS): ParseResult {
  if (utf8Bytes(raw) > limits.maxFrameBytes) {
    let ids: { messageId?: string } = {};
    const m = /"messageId"\s*:\s*"([A-Za-z0-9_-]{8,64})"/.exec(raw.slice(0, 4096));
    if (m) ids = { messageId: m[1] };
    return fail('TOO_LARGE', `A frame may be at most ${limits.maxFrameBytes} bytes; split the message into parts.`, ids);
  }
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return fail('BAD_REQUEST', 'The frame is not valid JSON.');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return fail('BAD_REQUEST', 'The frame must be a JSON object.');
  }
  const f = value as Record<string, unknown>;
  const messageId = isId(f.messageId) ? f.messageId : undefined;
  switch (f.action) {
    case 'ping':
      return { ok: true, frame: { action: 'ping' } };
    case 'stop':
      if (!isId(f.replyId)) return fail('BAD_REQUEST', 'stop needs a valid replyId.');
      return { ok: true, frame: { action: 'stop', replyId: f.replyId } };
    case 'sendMessage': {
      const ids = messageId ? { messageId } : {};
      if (!messageId) return fail('BAD_REQUEST', 'sendMessage needs a messageId of 8–64 characters [A-Za-z0-9_-].');
      if (typeof f.text !== 'string') return fail('BAD_REQUEST', 'sendMessage needs a text string.', ids);
      if (f.conversationId !== undefined && !isId(f.conversationId)) {
        return fail('BAD_REQUEST', 'conversationId must be 8–64 characters [A-Za-z0-9_-].', ids);
      }
      const frame: SendMessageFrame = { action: 'sendMessage', messageId, text: f.text };
      if (f.conversationId !== undefined) frame.conversationId = f.conversationId as string;
      if (f.modelId !== undefined) {
        if (!isModelIdShape(f.modelId)) return fail('BAD_REQUEST', MODEL_ID_MESSAGE, ids);
        frame.modelId = f.modelId;
      }
      if (f.parentId !== undefined) {
        if (!isId(f.parentId)) return fail('BAD_REQUEST', 'parentId must be 8–64 characters [A-Za-z0-9_-].', ids);
        if (frame.conversationId === undefined) return fail('BAD_REQUEST', 'parentId needs the conversationId.', ids);
        frame.parentId = f.parentId;
      }
      if (f.attachmentIds !== undefined) {
        const a = f.attachmentIds;
        if (!Array.isArray(a) || a.length > MAX_ATTACHMENTS_PER_MESSAGE || !a.every(isId) || new Set(a).size !== a.length) {
          return fail('BAD_REQUEST', `attachmentIds must be at most ${MAX_ATTACHMENTS_PER_MESSAGE} distinct attachment ids.`, ids);
        }
        if (a.length) frame.attachmentIds = a as string[];
      }
      if (f.part !== undefined) {
        const p = f.part as Record<string, unknown> | null;
        const ok = typeof p === 'object' && p !== null
          && Number.isInteger(p.index) && Number.isInteger(p.count)
          && (p.count as number) >= 1 && (p.count as number) <= MAX_PARTS
          && (p.index as number) >= 0 && (p.index as number) < (p.count as number);
        if (!ok) return fail('BAD_REQUEST', `part must be {index, count} with 0 ≤ index < count ≤ ${MAX_PARTS}.`, ids);
        frame.part = { index: p!.index as number, count: p!.count as number };
      } else if (!hasVisibleText(f.text)) {
        return fail('BAD_REQUEST', invisibleTextMessage('message'), ids);
      }
      if (charCount(f.text) > limits.maxInputChars) {
        return fail('TOO_LARGE', `A message may be at most ${limits.maxInputChars} characters.`, ids);
      }
      return { ok: true, frame };
    }
    case 'regenerate': {
      if (!messageId) return fail('BAD_REQUEST', 'regenerate needs a messageId of 8–64 characters [A-Za-z0-9_-].');
      const ids = { messageId };
      if (!isId(f.conversationId)) return fail('BAD_REQUEST', 'regenerate needs a conversationId of 8–64 characters [A-Za-z0-9_-].', ids);
      if (!isId(f.userMessageId)) return fail('BAD_REQUEST', 'regenerate needs a userMessageId of 8–64 characters [A-Za-z0-9_-].', ids);
      const frame: RegenerateFrame = { action: 'regenerate', messageId, conversationId: f.conversationId, userMessageId: f.userMessageId };
      if (f.modelId !== undefined) {
        if (!isModelIdShape(f.modelId)) return fail('BAD_REQUEST', MODEL_ID_MESSAGE, ids);
        frame.modelId = f.modelId;
      }
      return { ok: true, frame };
    }
    default:
      return fail('BAD_REQUEST', typeof f.action === 'string' ? `Unknown action "${f.action.slice(0, 40)}".` : 'The frame has no action.');
  }
}

/** Checks a whole (reassembled) message text against the character limit. */
export function checkMessageText(text: string, limits: FrameLimits = DEFAULT_LIMITS): ErrorFrame | undefined {
  if (!hasVisibleText(text)) return { type: 'error', code: 'BAD_REQUEST', message: invisibleTextMessage('message'), retryable: false };
  if (charCount(text) > limits.maxInputChars) {
    return { type: 'error', code: 'TOO_LARGE', message: `A message may be at most ${limits.maxInputChars} characters.`, retryable: false };
  }
  return undefined;
}

/**
 * Builds the frame(s) that send one message: a single frame when it fits in `maxFrameBytes`,
 * else `count` frames with `part: {index, count}`, each a consecutive slice of the text cut on
 * code-point boundaries and each (serialized) within `maxFrameBytes`.
 */
export function buildSendFrames(
  message: { messageId: string; text: string; conversationId?: string; modelId?: string; parentId?: string; attachmentIds?: readonly string[] },
  maxFrameBytes: number = DEFAULT_MAX_FRAME_BYTES,
): SendMessageFrame[] {
  const base: SendMessageFrame = { action: 'sendMessage', messageId: message.messageId, text: message.text };
  if (message.conversationId) base.conversationId = message.conversationId;
  if (message.modelId) base.modelId = message.modelId;
  if (message.parentId) base.parentId = message.parentId;
  // Every part carries the same files (docs/PROTOCOL.md §7), counted in each part's envelope.
  if (message.attachmentIds?.length) base.attachmentIds = [...message.attachmentIds];
  if (utf8Bytes(JSON.stringify(base)) <= maxFrameBytes) return [base];

  // Room for the text in each part: the frame envelope with the largest possible part numbers.
  const envelope = utf8Bytes(JSON.stringify({ ...base, text: '', part: { index: MAX_PARTS, count: MAX_PARTS } }));
  const budget = maxFrameBytes - envelope;
  const slices: string[] = [];
  let current = '';
  let currentBytes = 0;
  for (const ch of message.text) {
    const b = utf8Bytes(JSON.stringify(ch)) - 2; // bytes this character takes once JSON-escaped
    if (currentBytes + b > budget) {
      slices.push(current);
      current = '';
      currentBytes = 0;
    }
    current += ch;
    currentBytes += b;
  }
  slices.push(current);
  const count = slices.length;
  return slices.map((text, index) => ({ ...base, text, part: { index, count } }));
}
