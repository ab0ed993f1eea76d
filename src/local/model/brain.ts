/**
 * The brain interface of the local model server: what answers a Converse request. The server
 * owns the wire (event-stream encoding, HTTP errors); a brain owns only the words and their timing.
 */

/** A Converse `image` or `document` block as the server decoded it (the wire carries base64). */
export interface ConverseFile {
  readonly kind: 'image' | 'document';
  readonly format: string;
  /** Documents only. */
  readonly name?: string;
  readonly bytes: Uint8Array;
}

/** One Converse message as Bedrock receives it: its text blocks, and its files decoded by the server. */
export interface ConverseMessage {
  readonly role: 'user' | 'assistant';
  readonly content: ReadonlyArray<{ readonly text?: string }>;
  /** The message's `image`/`document` blocks, in order (docs/PROTOCOL.md §15). */
  readonly files?: readonly ConverseFile[];
}

/** The parts of a Converse request a brain sees. */
export interface BrainRequest {
  readonly modelId: string;
  readonly messages: readonly ConverseMessage[];
  readonly system: readonly string[];
  readonly inferenceConfig: { maxTokens?: number; temperature?: number; topP?: number; stopSequences?: string[] };
  /** `true` for ConverseStream, `false` for Converse. */
  readonly streaming: boolean;
}

/** How a reply ended. `usage` is estimated by the server when omitted. */
export interface BrainFinish {
  readonly stopReason?: 'end_turn' | 'max_tokens' | 'stop_sequence' | 'content_filtered' | 'guardrail_intervened' | 'tool_use';
  readonly usage?: { inputTokens: number; outputTokens: number };
}

/** Bedrock's modelled errors a brain may raise (names as in the event stream). */
export type BrainErrorType =
  | 'throttlingException'
  | 'validationException'
  | 'accessDeniedException'
  | 'resourceNotFoundException'
  | 'modelStreamErrorException'
  | 'serviceUnavailableException'
  | 'internalServerException'
  | 'modelTimeoutException';

/**
 * Thrown by a brain. Before the first piece it becomes an HTTP error response (e.g. 429
 * ThrottlingException); after it, an exception message inside the event stream.
 */
export class BrainError extends Error {
  constructor(public readonly type: BrainErrorType, message: string) {
    super(message);
    this.name = 'BrainError';
  }
}

/**
 * Answers one request: the promise may reject with a {@link BrainError} (refused before any
 * output); the generator yields text pieces as they are produced (sleeping as it likes, and
 * stopping when `signal` aborts — the caller went away) and returns how the reply ended.
 */
export interface Brain {
  converse(request: BrainRequest, signal: AbortSignal): Promise<AsyncGenerator<string, BrainFinish | void, void>>;
}

/** The text of the newest user message. */
export function lastUserText(request: BrainRequest): string {
  for (let i = request.messages.length - 1; i >= 0; i--) {
    const m = request.messages[i];
    if (m.role === 'user') return m.content.map((c) => c.text ?? '').join('');
  }
  return '';
}

/** Token count of a text for usage estimates: the runtime's own pre-calibration estimate. */
export { textTokens as estimateTokens } from '../../core/domain/window';
