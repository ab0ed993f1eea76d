import { DEFAULT_SYSTEM_PROMPT } from './prompts';
import { DEFAULT_MAX_FRAME_BYTES, DEFAULT_MAX_INPUT_CHARS, FrameLimits } from '../contract/protocol';

/** Inference parameters passed to Converse as they are. */
export interface InferenceConfig {
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  stopSequences?: string[];
}

/** Everything the chat runtime reads from its environment (docs/INTERNALS.md). */
export interface ChatConfig {
  readonly tableName: string;
  readonly modelId: string;
  readonly titleModelId: string;
  readonly systemPrompt: string;
  readonly inferenceConfig: InferenceConfig;
  readonly historyTokenBudget: number;
  readonly limits: FrameLimits;
  readonly rateLimitPerMinute: number;
}

/** Default per-user message rate. */
export const DEFAULT_RATE_LIMIT_PER_MINUTE = 20;
/** Default token budget of the history window. */
export const DEFAULT_HISTORY_TOKEN_BUDGET = 8000;

function required(env: NodeJS.ProcessEnv, name: string): string {
  const v = env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
}

function positiveInt(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return n;
}

/** Parses and checks `INFERENCE_CONFIG`; unknown keys are refused so typos do not pass silently. */
export function parseInferenceConfig(raw: string | undefined): InferenceConfig {
  if (!raw) return {};
  let v: any;
  try { v = JSON.parse(raw); } catch { throw new Error('INFERENCE_CONFIG is not JSON'); }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('INFERENCE_CONFIG must be a JSON object');
  const out: InferenceConfig = {};
  for (const [k, val] of Object.entries(v)) {
    if (k === 'maxTokens' && Number.isInteger(val) && (val as number) > 0) out.maxTokens = val as number;
    else if ((k === 'temperature' || k === 'topP') && typeof val === 'number' && val >= 0 && val <= 1) out[k] = val;
    else if (k === 'stopSequences' && Array.isArray(val) && val.every((s) => typeof s === 'string')) out.stopSequences = val as string[];
    else throw new Error(`INFERENCE_CONFIG: invalid ${k}`);
  }
  return out;
}

/** Reads the chat handler's configuration; throws a clear error on a bad value. */
export function chatConfigFromEnv(env: NodeJS.ProcessEnv = process.env): ChatConfig {
  const modelId = required(env, 'MODEL_ID');
  return {
    tableName: required(env, 'TABLE_NAME'),
    modelId,
    titleModelId: env.TITLE_MODEL_ID || modelId,
    systemPrompt: env.SYSTEM_PROMPT || DEFAULT_SYSTEM_PROMPT,
    inferenceConfig: parseInferenceConfig(env.INFERENCE_CONFIG),
    historyTokenBudget: positiveInt(env, 'HISTORY_TOKEN_BUDGET', DEFAULT_HISTORY_TOKEN_BUDGET),
    limits: {
      maxInputChars: positiveInt(env, 'MAX_INPUT_CHARS', DEFAULT_MAX_INPUT_CHARS),
      maxFrameBytes: positiveInt(env, 'MAX_FRAME_BYTES', DEFAULT_MAX_FRAME_BYTES),
    },
    rateLimitPerMinute: positiveInt(env, 'RATE_LIMIT_PER_MINUTE', DEFAULT_RATE_LIMIT_PER_MINUTE),
  };
}
