import type { DocumentFormat, ImageFormat } from '../../contract/attachments';
import type { InferenceConfig } from '../../contract/env';
import type { ErrorCode, StopReason, Usage } from '../../contract/protocol';

/** A file of a user turn, as Converse takes it (an `image` or `document` block before the text). */
export type TurnAttachment =
  | { kind: 'image'; format: ImageFormat; bytes: Uint8Array }
  | { kind: 'document'; format: DocumentFormat; name: string; bytes: Uint8Array };

/** One Converse turn. */
export interface Turn {
  role: 'user' | 'assistant';
  text: string;
  /** A user turn's images and documents (docs/PROTOCOL.md §15). */
  attachments?: TurnAttachment[];
}

/** What one reply asks of the model. */
export interface ModelRequest {
  modelId: string;
  system: string;
  turns: Turn[];
  inferenceConfig: InferenceConfig;
}

/** How the model ended a reply (`stopped` when the caller's signal aborted it). */
export interface ModelFinish {
  stopReason: StopReason;
  usage?: Usage;
}

/** A model failure, already mapped to the protocol's code and a message a person can act on. */
export class ModelError extends Error {
  constructor(public readonly code: Extract<ErrorCode, 'MODEL_THROTTLED' | 'MODEL_ERROR'>, message: string,
    public readonly retryable: boolean, public readonly cause?: unknown) {
    super(message);
    this.name = 'ModelError';
  }
}

/** The language model as the runtime uses it. Every method throws ModelError on failure. */
export interface Model {
  /**
   * Streams one reply, one attempt: yields text pieces, returns how it ended. A refused start
   * (throttling: MODEL_THROTTLED) throws at the first `next()`, before any text, so the caller
   * may try again (model-retry.ts).
   */
  stream(request: ModelRequest, signal: AbortSignal): AsyncGenerator<string, ModelFinish, void>;
  /** One short non-streaming answer (titles). */
  once(modelId: string, system: string, userText: string, maxTokens: number): Promise<string>;
}
