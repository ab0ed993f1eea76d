/**
 * The `openai` brain: answers the local Bedrock-compatible server's requests by streaming from any
 * OpenAI-compatible `/v1/chat/completions` endpoint (Ollama, vLLM, llama.cpp server, LM Studio…),
 * so the chat handler keeps talking ConverseStream while the words come from a local model.
 */
import { Brain, BrainError, BrainErrorType, BrainFinish, BrainRequest } from './brain';

/** Ollama's OpenAI-compatible endpoint on its default port. */
export const DEFAULT_OPENAI_BASE_URL = 'http://127.0.0.1:11434/v1';

/** Options of {@link openaiBrain}. */
export interface OpenAiBrainOptions {
  /** Base URL that `/chat/completions` is appended to. @default DEFAULT_OPENAI_BASE_URL */
  readonly baseUrl?: string;
  /** Sent as `Authorization: Bearer …` when set (most local servers need none). */
  readonly apiKey?: string;
}

const FINISH: Record<string, BrainFinish['stopReason']> = {
  stop: 'end_turn',
  length: 'max_tokens',
  content_filter: 'content_filtered',
  tool_calls: 'tool_use',
};

/** Maps an HTTP status of the OpenAI-compatible server to the Bedrock error the handler expects. */
export function errorTypeForStatus(status: number): BrainErrorType {
  if (status === 429) return 'throttlingException';
  if (status === 401 || status === 403) return 'accessDeniedException';
  if (status === 400 || status === 404 || status === 422) return 'validationException';
  if (status === 408 || status === 504) return 'modelTimeoutException';
  if (status >= 500) return 'serviceUnavailableException';
  return 'internalServerException';
}

/** The Chat Completions request for a Converse request. */
export function chatCompletionsBody(request: BrainRequest): Record<string, unknown> {
  const messages: Array<{ role: string; content: string }> = [];
  const system = request.system.filter((s) => s.length > 0).join('\n\n');
  if (system) messages.push({ role: 'system', content: system });
  for (const m of request.messages) messages.push({ role: m.role, content: m.content.map((c) => c.text ?? '').join('') });
  const c = request.inferenceConfig;
  return {
    model: request.modelId,
    messages,
    stream: request.streaming,
    ...(request.streaming ? { stream_options: { include_usage: true } } : {}),
    ...(c.maxTokens !== undefined ? { max_tokens: c.maxTokens } : {}),
    ...(c.temperature !== undefined ? { temperature: c.temperature } : {}),
    ...(c.topP !== undefined ? { top_p: c.topP } : {}),
    ...(c.stopSequences?.length ? { stop: c.stopSequences } : {}),
  };
}

/** Splits a server-sent-events byte stream into `data:` payloads. */
export async function* sseData(body: AsyncIterable<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl).replace(/\r$/, '');
      buffer = buffer.slice(nl + 1);
      if (line.startsWith('data:')) yield line.slice(5).trimStart();
    }
  }
  if (buffer.startsWith('data:')) yield buffer.slice(5).trimStart();
}

function usageOf(u: any): BrainFinish['usage'] | undefined {
  if (!u || typeof u.prompt_tokens !== 'number' || typeof u.completion_tokens !== 'number') return undefined;
  return { inputTokens: u.prompt_tokens, outputTokens: u.completion_tokens };
}

/** A brain that proxies an OpenAI-compatible chat completions server. */
export function openaiBrain(options: OpenAiBrainOptions = {}): Brain {
  const url = `${(options.baseUrl ?? DEFAULT_OPENAI_BASE_URL).replace(/\/+$/, '')}/chat/completions`;
  return {
    async converse(request, signal) {
      let res: Response;
      try {
        res = await fetch(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'accept': request.streaming ? 'text/event-stream' : 'application/json',
            ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}),
          },
          body: JSON.stringify(chatCompletionsBody(request)),
          signal,
        });
      } catch (err) {
        throw new BrainError('serviceUnavailableException', `Cannot reach the OpenAI-compatible server at ${url}: ${(err as Error).message}`);
      }
      if (!res.ok) {
        const detail = (await res.text().catch(() => '')).slice(0, 300);
        throw new BrainError(errorTypeForStatus(res.status), `The OpenAI-compatible server answered ${res.status}: ${detail}`);
      }
      if (!request.streaming) {
        const json: any = await res.json();
        const choice = json?.choices?.[0];
        return (async function* (): AsyncGenerator<string, BrainFinish, void> {
          const text = typeof choice?.message?.content === 'string' ? choice.message.content : '';
          if (text) yield text;
          return { stopReason: FINISH[choice?.finish_reason] ?? 'end_turn', usage: usageOf(json?.usage) };
        })();
      }
      const body = res.body as unknown as AsyncIterable<Uint8Array>;
      return (async function* (): AsyncGenerator<string, BrainFinish, void> {
        let stopReason: BrainFinish['stopReason'] = 'end_turn';
        let usage: BrainFinish['usage'];
        try {
          for await (const data of sseData(body)) {
            if (data === '[DONE]') break;
            let chunk: any;
            try {
              chunk = JSON.parse(data);
            } catch {
              throw new BrainError('modelStreamErrorException', 'The OpenAI-compatible server sent a chunk that is not JSON.');
            }
            if (chunk?.error) throw new BrainError('modelStreamErrorException', String(chunk.error.message ?? chunk.error));
            usage = usageOf(chunk?.usage) ?? usage;
            const choice = chunk?.choices?.[0];
            if (choice?.finish_reason) stopReason = FINISH[choice.finish_reason] ?? 'end_turn';
            const piece = choice?.delta?.content;
            if (typeof piece === 'string' && piece.length > 0) yield piece;
          }
        } catch (err) {
          if (signal.aborted) return { stopReason };
          if (err instanceof BrainError) throw err;
          throw new BrainError('modelStreamErrorException', `The OpenAI-compatible stream broke: ${(err as Error).message}`);
        }
        return { stopReason, usage };
      })();
    },
  };
}
