import { DEFAULT_SYSTEM_PROMPT } from './prompts';
import { ChatEnv, chatFromEnv, EnvVars, InferenceConfig, ModelChoice, modelsOf } from '../contract/env';
import { FrameLimits } from '../contract/protocol';

export type { InferenceConfig } from '../contract/env';

/** What the chat runtime is configured with (from {@link ChatEnv}, docs/RUNTIME.md §4). */
export interface ChatConfig {
  readonly tableName: string;
  readonly modelId: string;
  /** The models a conversation may use (`sendMessage.modelId`); `defaultModelId` is one of them. */
  readonly models: readonly ModelChoice[];
  readonly defaultModelId: string;
  readonly titleModelId: string;
  readonly systemPrompt: string;
  readonly inferenceConfig: InferenceConfig;
  readonly historyTokenBudget: number;
  readonly limits: FrameLimits;
  readonly rateLimitPerMinute: number;
}

/** The runtime's configuration for a chat function environment (the default system prompt filled in). */
export function chatConfig(env: ChatEnv): ChatConfig {
  return {
    tableName: env.tableName,
    modelId: env.modelId,
    models: modelsOf(env),
    defaultModelId: env.modelId,
    titleModelId: env.titleModelId,
    systemPrompt: env.systemPrompt ?? DEFAULT_SYSTEM_PROMPT,
    inferenceConfig: env.inferenceConfig,
    historyTokenBudget: env.historyTokenBudget,
    limits: { maxInputChars: env.maxInputChars, maxFrameBytes: env.maxFrameBytes },
    rateLimitPerMinute: env.rateLimitPerMinute,
  };
}

/** The model `modelId` names when the deployment allows it, else the default model. */
export function modelChoice(config: Pick<ChatConfig, 'models' | 'defaultModelId'>, modelId?: string): ModelChoice {
  return config.models.find((m) => m.modelId === modelId) ?? config.models.find((m) => m.modelId === config.defaultModelId)!;
}

/** Whether `modelId` is one of the deployment's models. */
export function allowsModel(config: Pick<ChatConfig, 'models'>, modelId: string): boolean {
  return config.models.some((m) => m.modelId === modelId);
}

/** Reads the chat runtime's configuration from variables; throws a clear error on a bad value. */
export function chatConfigFromEnv(env: EnvVars): ChatConfig {
  return chatConfig(chatFromEnv(env));
}
