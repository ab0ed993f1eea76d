import {
  BedrockRuntimeClient, ContentBlock, ConverseCommand, ConverseStreamCommand, Message, SystemContentBlock,
} from '@aws-sdk/client-bedrock-runtime';
import type { StopReason, Usage } from '../../contract/protocol';
import { Model, ModelError, ModelFinish, ModelRequest, Turn, TurnAttachment } from '../ports/model';

const THROTTLES = new Set(['ThrottlingException', 'ServiceQuotaExceededException', 'TooManyRequestsException']);

/** Maps an SDK error to a ModelError; `midStream` when some of the answer had already arrived. */
export function toModelError(err: unknown, modelId: string, midStream: boolean): ModelError {
  const name = (err as Error)?.name ?? '';
  const raw = String((err as Error)?.message ?? '').slice(0, 300);
  if (THROTTLES.has(name)) {
    return new ModelError('MODEL_THROTTLED', 'The model is receiving too many requests right now. Please try again in a moment.', true, err);
  }
  if (name === 'AccessDeniedException') {
    return new ModelError('MODEL_ERROR', `Model access is not enabled for ${modelId}, or this function may not invoke it: enable the model in the Amazon Bedrock console (Model access) and check the IAM policy.`, false, err);
  }
  if (name === 'ResourceNotFoundException') {
    return new ModelError('MODEL_ERROR', `The model ${modelId} was not found in this region. Check the model id or inference profile.`, false, err);
  }
  if (name === 'ValidationException') {
    return new ModelError('MODEL_ERROR', `The model refused the request (${raw}). Check the model id and inference settings.`, false, err);
  }
  if (midStream || name === 'ModelStreamErrorException') {
    return new ModelError('MODEL_ERROR', 'The model failed while answering. The partial answer was kept.', true, err);
  }
  return new ModelError('MODEL_ERROR', 'The model is unavailable right now. Please try again.', true, err);
}

const STOP_REASONS: Readonly<Record<string, StopReason>> = {
  end_turn: 'end_turn',
  max_tokens: 'max_tokens',
  stop_sequence: 'stop_sequence',
  content_filtered: 'content_filtered',
  guardrail_intervened: 'content_filtered',
};

/** Converse's stop reason as the protocol's (a guardrail is `content_filtered`; unknown ones `end_turn`). */
export function toStopReason(raw: string): StopReason {
  return STOP_REASONS[raw] ?? 'end_turn';
}

/** A turn's files become `image`/`document` blocks before its text (Converse needs a text block beside a document). */
function toMessages(turns: Turn[]): Message[] {
  return turns.map((t) => ({ role: t.role, content: [...(t.attachments ?? []).map(toBlock), { text: t.text } as ContentBlock] }));
}

function toBlock(a: TurnAttachment): ContentBlock {
  if (a.kind === 'image') return { image: { format: a.format, source: { bytes: a.bytes } } };
  return { document: { format: a.format, name: a.name, source: { bytes: a.bytes } } };
}

/** True when the error is the caller's own abort (stop or deadline), not a failure. */
function isAbort(err: unknown, signal: AbortSignal): boolean {
  return signal.aborted || (err as Error)?.name === 'AbortError';
}

/**
 * The model on Bedrock's Converse API. The client's own retries should be off (aws.ts): a
 * throttled start is retried by the runtime (model-retry.ts), within the reply's lease.
 */
export class BedrockModel implements Model {
  constructor(private readonly bedrock: BedrockRuntimeClient) {}

  /** Streams one reply from ConverseStream, one attempt; returns `stopped` when `signal` aborted it. */
  public stream(request: ModelRequest, signal: AbortSignal): AsyncGenerator<string, ModelFinish, void> {
    return streamReply(this.bedrock, request, signal);
  }

  public once(modelId: string, system: string, userText: string, maxTokens: number): Promise<string> {
    return converseOnce(this.bedrock, modelId, system, userText, maxTokens);
  }
}

async function* streamReply(bedrock: BedrockRuntimeClient, request: ModelRequest, signal: AbortSignal): AsyncGenerator<string, ModelFinish, void> {
  let stream: AsyncIterable<any> | undefined;
  try {
    const out = await bedrock.send(new ConverseStreamCommand({
      modelId: request.modelId,
      system: request.system ? [{ text: request.system } as SystemContentBlock] : undefined,
      messages: toMessages(request.turns),
      inferenceConfig: Object.keys(request.inferenceConfig).length ? request.inferenceConfig : undefined,
    }), { abortSignal: signal });
    stream = out.stream;
  } catch (err) {
    if (isAbort(err, signal)) return { stopReason: 'stopped' };
    throw toModelError(err, request.modelId, false);
  }
  let stopReason: StopReason = 'end_turn';
  let usage: Usage | undefined;
  try {
    for await (const event of stream ?? []) {
      const text = event.contentBlockDelta?.delta?.text;
      if (text) yield text;
      if (event.messageStop?.stopReason) stopReason = toStopReason(event.messageStop.stopReason);
      if (event.metadata?.usage) {
        usage = { inputTokens: event.metadata.usage.inputTokens ?? 0, outputTokens: event.metadata.usage.outputTokens ?? 0 };
      }
    }
  } catch (err) {
    if (isAbort(err, signal)) return { stopReason: 'stopped', usage };
    throw toModelError(err, request.modelId, true);
  }
  if (signal.aborted) return { stopReason: 'stopped', usage };
  return { stopReason, usage };
}

async function converseOnce(bedrock: BedrockRuntimeClient, modelId: string, system: string, userText: string,
  maxTokens: number): Promise<string> {
  try {
    const out = await bedrock.send(new ConverseCommand({
      modelId,
      system: [{ text: system } as SystemContentBlock],
      messages: [{ role: 'user', content: [{ text: userText } as ContentBlock] }],
      inferenceConfig: { maxTokens, temperature: 0.2 },
    }));
    return (out.output?.message?.content ?? []).map((c) => c.text ?? '').join('');
  } catch (err) {
    throw toModelError(err, modelId, false);
  }
}
