/**
 * The `bedrock` brain: answers the local model server's requests from real Amazon Bedrock, so a
 * local stack may offer Bedrock models next to the offline or OpenAI-compatible ones while the chat
 * handler keeps one endpoint (the local model server routes by model id, see routes.ts).
 */
import { BedrockRuntimeClient, ContentBlock, ConverseCommand, ConverseStreamCommand, Message, SystemContentBlock } from '@aws-sdk/client-bedrock-runtime';
import { Brain, BrainError, BrainErrorType, BrainFinish, BrainRequest } from './brain';

/** Options of {@link bedrockBrain}. */
export interface BedrockBrainOptions {
  readonly region: string;
  /** Another Bedrock-compatible endpoint (tests: a second local model server). @default AWS */
  readonly endpoint?: string;
  /** @default the SDK's default credential chain */
  readonly credentials?: { accessKeyId: string; secretAccessKey: string };
}

const ERRORS: Record<string, BrainErrorType> = {
  ThrottlingException: 'throttlingException',
  ServiceQuotaExceededException: 'throttlingException',
  TooManyRequestsException: 'throttlingException',
  ValidationException: 'validationException',
  AccessDeniedException: 'accessDeniedException',
  ResourceNotFoundException: 'resourceNotFoundException',
  ModelStreamErrorException: 'modelStreamErrorException',
  ServiceUnavailableException: 'serviceUnavailableException',
  ModelTimeoutException: 'modelTimeoutException',
  ModelNotReadyException: 'serviceUnavailableException',
};

/** Bedrock's error as the brain error of the same name (unknown ones: internal). */
export function brainErrorOf(err: unknown): BrainError {
  if (err instanceof BrainError) return err;
  const e = err as Error;
  return new BrainError(ERRORS[e?.name] ?? 'internalServerException', `Amazon Bedrock: ${String(e?.message ?? err).slice(0, 300)}`);
}

function converseInput(request: BrainRequest) {
  const c = request.inferenceConfig;
  return {
    modelId: request.modelId,
    system: request.system.filter((s) => s).map((text) => ({ text }) as SystemContentBlock),
    messages: request.messages.map((m): Message => ({ role: m.role, content: m.content.map((b) => ({ text: b.text ?? '' }) as ContentBlock) })),
    inferenceConfig: Object.keys(c).length ? c : undefined,
  };
}

/** A brain that forwards each request to Bedrock's Converse / ConverseStream. */
export function bedrockBrain(options: BedrockBrainOptions): Brain & { close(): void } {
  const client = new BedrockRuntimeClient({ region: options.region, endpoint: options.endpoint, credentials: options.credentials, maxAttempts: 1 });
  return {
    close: () => client.destroy(),
    async converse(request, signal) {
      const usageOf = (u: { inputTokens?: number; outputTokens?: number } | undefined) =>
        u ? { inputTokens: u.inputTokens ?? 0, outputTokens: u.outputTokens ?? 0 } : undefined;
      if (!request.streaming) {
        const out = await client.send(new ConverseCommand(converseInput(request)), { abortSignal: signal })
          .catch((err) => { throw brainErrorOf(err); });
        const text = (out.output?.message?.content ?? []).map((b) => b.text ?? '').join('');
        return (async function* (): AsyncGenerator<string, BrainFinish, void> {
          if (text) yield text;
          return { stopReason: out.stopReason as BrainFinish['stopReason'], usage: usageOf(out.usage) };
        })();
      }
      const out = await client.send(new ConverseStreamCommand(converseInput(request)), { abortSignal: signal })
        .catch((err) => { throw brainErrorOf(err); });
      return (async function* (): AsyncGenerator<string, BrainFinish, void> {
        let stopReason: BrainFinish['stopReason'];
        let usage: BrainFinish['usage'];
        try {
          for await (const event of out.stream ?? []) {
            const text = event.contentBlockDelta?.delta?.text;
            if (text) yield text;
            if (event.messageStop?.stopReason) stopReason = event.messageStop.stopReason as BrainFinish['stopReason'];
            usage = usageOf(event.metadata?.usage) ?? usage;
          }
        } catch (err) {
          if (signal.aborted) return { stopReason };
          throw brainErrorOf(err);
        }
        return { stopReason, usage };
      })();
    },
  };
}
