/**
 * The chat runtime on in-memory ports: MemoryStore, a ScriptedBrain behind BrainModel, and
 * frames recorded per connection by the same RecordingSink the local `@connections` uses. Core
 * tests built on it start no dynalite and no model server.
 */
import { BrainModel } from './brain-model';
import { MemoryStore } from './memory-store';
import { DEFAULT_LIMITS, ServerFrame } from '../../../src/contract/protocol';
import { ChatService } from '../../../src/core/chat';
import type { ChatConfig } from '../../../src/core/config';
import type { Clock } from '../../../src/core/ports/clock';
import type { Outbox } from '../../../src/core/ports/outbox';
import type { Telemetry } from '../../../src/core/ports/telemetry';
import { DEFAULT_SYSTEM_PROMPT } from '../../../src/core/prompts';
import { RecordingSink } from '../../../src/local/connections-server';
import { ScriptedBrain } from '../../../src/local/model/scripted';

/** The configuration the handlers would read from a default environment. */
export function testConfig(overrides: Partial<ChatConfig> = {}): ChatConfig {
  const modelId = overrides.modelId ?? 'anthropic.claude-3-haiku-20240307-v1:0';
  return {
    tableName: 'memory',
    modelId,
    models: [{ modelId, label: { ko: modelId, en: modelId }, inferenceConfig: overrides.inferenceConfig ?? {} }],
    defaultModelId: modelId,
    titleModelId: 'anthropic.claude-3-haiku-20240307-v1:0',
    systemPrompt: DEFAULT_SYSTEM_PROMPT,
    inferenceConfig: {},
    historyTokenBudget: 8000,
    limits: DEFAULT_LIMITS,
    rateLimitPerMinute: 20,
    ...overrides,
  };
}

/** Frames to one recorded connection; `gone` once the sink says the connection left (sticky, as @connections). */
class SinkOutbox implements Outbox {
  private gone = false;
  constructor(private readonly sink: RecordingSink, private readonly connectionId: string) {}
  public async post(frame: ServerFrame): Promise<'ok' | 'gone'> {
    if (this.gone) return 'gone';
    if (this.sink.post(this.connectionId, Buffer.from(JSON.stringify(frame)))) return 'ok';
    this.gone = true;
    return 'gone';
  }
}

/** The in-memory counterpart of the harness's Emulators. */
export interface MemoryRuntime {
  store: MemoryStore;
  brain: ScriptedBrain;
  sink: RecordingSink;
  model: BrainModel;
}

export function memoryRuntime(): MemoryRuntime {
  const brain = new ScriptedBrain();
  return { store: new MemoryStore(), brain, sink: new RecordingSink(), model: new BrainModel(brain) };
}

/** A ChatService over the runtime's ports with a chosen clock and configuration (as the harness's chatService). */
export function chatService(rt: MemoryRuntime, clock?: Clock, config: Partial<ChatConfig> = {},
  telemetry?: Telemetry): { service: ChatService; close(): void } {
  const service = new ChatService({ config: testConfig(config), store: rt.store, model: rt.model, clock, telemetry });
  return { service, close: () => {} };
}

/** An outbox to a recorded connection. */
export function outbox(rt: MemoryRuntime, connectionId: string): Outbox {
  return new SinkOutbox(rt.sink, connectionId);
}
