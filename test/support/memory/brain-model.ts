/**
 * The Model port over a local Brain (a ScriptedBrain), in process: no model server, no event
 * stream. Errors become ModelErrors through the Bedrock adapter's own mapping, under the
 * exception names the model server would send, so the runtime sees what it sees from Bedrock.
 */
import { toModelError, toStopReason } from '../../../src/core/adapters/bedrock-model';
import type { Model, ModelFinish, ModelRequest } from '../../../src/core/ports/model';
import { Brain, BrainError, BrainRequest } from '../../../src/local/model/brain';

function brainRequest(request: Omit<ModelRequest, 'inferenceConfig'> & Partial<ModelRequest>, streaming: boolean): BrainRequest {
  return {
    modelId: request.modelId,
    system: request.system ? [request.system] : [],
    messages: request.turns.map((t) => ({ role: t.role, content: [{ text: t.text }] })),
    inferenceConfig: request.inferenceConfig ?? {},
    streaming,
  };
}

/** A BrainError as the SDK error Bedrock would have thrown (`throttlingException` → ThrottlingException). */
function sdkError(err: unknown): unknown {
  if (!(err instanceof BrainError)) return err;
  return Object.assign(new Error(err.message), { name: err.type[0].toUpperCase() + err.type.slice(1) });
}

export class BrainModel implements Model {
  constructor(private readonly brain: Brain) {}

  public async *stream(request: ModelRequest, signal: AbortSignal): AsyncGenerator<string, ModelFinish, void> {
    let pieces: AsyncGenerator<string, unknown, void>;
    try {
      pieces = await this.brain.converse(brainRequest(request, true), signal);
    } catch (err) {
      throw toModelError(sdkError(err), request.modelId, false);
    }
    let finish: { stopReason?: string; usage?: ModelFinish['usage'] } | void;
    try {
      for (let r = await pieces.next(); ; r = await pieces.next()) {
        if (r.done) { finish = r.value as typeof finish; break; }
        yield r.value;
      }
    } catch (err) {
      throw toModelError(sdkError(err), request.modelId, true);
    }
    if (signal.aborted) return { stopReason: 'stopped', usage: finish?.usage };
    return { stopReason: toStopReason(finish?.stopReason ?? 'end_turn'), usage: finish?.usage };
  }

  public async once(modelId: string, system: string, userText: string): Promise<string> {
    try {
      const pieces = await this.brain.converse(brainRequest({ modelId, system, turns: [{ role: 'user', text: userText }] }, false),
        new AbortController().signal);
      let text = '';
      for (let r = await pieces.next(); !r.done; r = await pieces.next()) text += r.value;
      return text;
    } catch (err) {
      throw toModelError(sdkError(err), modelId, false);
    }
  }
}
