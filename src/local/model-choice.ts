/**
 * Which model the local stack talks to (docs/PROTOCOL.md §4 `--model`): real Bedrock when asked or when
 * credentials resolve under `auto`, an OpenAI-compatible server, or the offline demo model.
 */
import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { Brain } from './model/brain';
import { offlineBrain } from './model/offline';
import { DEFAULT_OPENAI_BASE_URL, openaiBrain } from './model/openai';
import { DEFAULT_REGION, ENV } from '../contract/env';
import { DEFAULT_MODEL_ID, DEFAULT_TITLE_MODEL_ID } from '../contract/models';

/** The `--model` values. */
export type ModelFlag = 'auto' | 'bedrock' | 'openai' | 'offline';
/** What the stack ends up using (`config.json` `model.provider`). */
export type ModelProvider = 'bedrock' | 'openai' | 'offline';

/** OpenAI-compatible model used when `--model-id` is not given (an Ollama model that writes Korean). */
export const DEFAULT_OPENAI_MODEL_ID = 'qwen2.5:7b';
/** The model id the offline brain is addressed by. */
export const OFFLINE_MODEL_ID = 'offline';
/** How long `auto`/`bedrock` wait for the credential chain (instance metadata can be slow to fail). */
export const CREDENTIAL_PROBE_MS = 5000;

/** A user-facing failure of the local stack: the CLI prints its message as one line. */
export class LocalStackError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LocalStackError';
  }
}

/** Options that pick the model. */
export interface ModelOptions {
  readonly model?: ModelFlag;
  readonly modelId?: string;
  readonly region?: string;
  readonly openaiBaseUrl?: string;
  /** Offline model speed, characters per second. @default 50 */
  readonly offlineCps?: number;
}

/** The chosen model. `brain` is set when the local model server answers (not for real Bedrock). */
export interface ModelSelection {
  readonly provider: ModelProvider;
  readonly modelId: string;
  /** `TITLE_MODEL_ID` when it differs from `modelId`. */
  readonly titleModelId?: string;
  readonly region: string;
  readonly brain?: Brain;
  /** One line for the console, e.g. `model: offline (no AWS credentials found)`. */
  readonly description: string;
  /** One line when the model will not answer as chosen (e.g. nothing listens at `--openai-base-url`). */
  readonly warning?: string;
}

/** Resolves AWS credentials and Region through the SDK's own default chain. */
async function probeAws(region: string | undefined): Promise<{ ok: boolean; region?: string; reason?: string }> {
  const client = new BedrockRuntimeClient(region ? { region } : {});
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('timed out looking for credentials')), CREDENTIAL_PROBE_MS);
    });
    const creds = await Promise.race([client.config.credentials(), timeout]);
    if (!creds?.accessKeyId) return { ok: false, reason: 'no credentials' };
    let resolved: string | undefined;
    try {
      resolved = await client.config.region();
    } catch {
      resolved = undefined;
    }
    return { ok: true, region: resolved };
  } catch (err) {
    return { ok: false, reason: String((err as Error)?.message ?? err).split('\n')[0] };
  } finally {
    clearTimeout(timer);
    client.destroy();
  }
}

/** How long the start-up check of an OpenAI-compatible server waits for its model list. */
export const OPENAI_PROBE_MS = 3000;

/**
 * Asks the OpenAI-compatible server for its model list (`GET {baseUrl}/models`, which Ollama,
 * vLLM, llama.cpp and LM Studio serve) and says in one line what will go wrong: nothing listening,
 * a refused key, or no such model. Undefined when it looks ready (or cannot tell).
 */
export async function checkOpenAiServer(baseUrl: string, modelId: string, apiKey?: string): Promise<string | undefined> {
  const url = `${baseUrl.replace(/\/+$/, '')}/models`;
  let res: Response;
  try {
    res = await fetch(url, { headers: apiKey ? { authorization: `Bearer ${apiKey}` } : {}, signal: AbortSignal.timeout(OPENAI_PROBE_MS) });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const why = (err as Error).name === 'TimeoutError' ? `no answer within ${OPENAI_PROBE_MS} ms` : cause?.code ?? cause?.message ?? (err as Error).message;
    return `warning: nothing answers at ${baseUrl} (${why}): every reply will fail with "The model could not answer" until it does. `
      + 'Start the server (e.g. `ollama serve`) or pass --openai-base-url.';
  }
  if (res.status === 401 || res.status === 403) {
    return `warning: ${baseUrl} refused the request (${res.status}): set OPENAI_API_KEY to a key it accepts.`;
  }
  if (!res.ok) return undefined;
  const ids: unknown = await res.json().then((b: any) => Array.isArray(b?.data) ? b.data.map((m: any) => m?.id) : undefined, () => undefined);
  if (Array.isArray(ids) && ids.length > 0 && !ids.includes(modelId)) {
    return `warning: ${baseUrl} has no model "${modelId}" (it has ${ids.slice(0, 5).join(', ')}${ids.length > 5 ? ', …' : ''}): `
      + `pass --model-id, or fetch it (e.g. \`ollama pull ${modelId}\`).`;
  }
  return undefined;
}

/** Picks the model for the flags given. Throws {@link LocalStackError} for `bedrock` without credentials. */
export async function selectModel(options: ModelOptions): Promise<ModelSelection> {
  const flag = options.model ?? 'auto';
  const envRegion = process.env[ENV.region] ?? process.env[ENV.defaultRegion];
  const offline = (why: string): ModelSelection => ({
    provider: 'offline',
    modelId: OFFLINE_MODEL_ID,
    region: options.region ?? envRegion ?? DEFAULT_REGION,
    brain: offlineBrain({ cps: options.offlineCps }),
    description: `model: offline (${why}; no language model, replies quote your message)`,
  });
  switch (flag) {
    case 'offline':
      return offline('--model offline');
    case 'openai': {
      const baseUrl = options.openaiBaseUrl ?? DEFAULT_OPENAI_BASE_URL;
      const modelId = options.modelId ?? DEFAULT_OPENAI_MODEL_ID;
      return {
        provider: 'openai',
        modelId,
        region: options.region ?? envRegion ?? DEFAULT_REGION,
        brain: openaiBrain({ baseUrl, apiKey: process.env.OPENAI_API_KEY }),
        description: `model: openai ${modelId} at ${baseUrl} (--model openai)`,
        warning: await checkOpenAiServer(baseUrl, modelId, process.env.OPENAI_API_KEY),
      };
    }
    case 'bedrock':
    case 'auto': {
      const probe = await probeAws(options.region ?? envRegion);
      if (!probe.ok) {
        if (flag === 'auto') return offline('no AWS credentials found');
        throw new LocalStackError(`--model bedrock needs AWS credentials, and none resolved (${probe.reason}). `
          + 'Configure a profile (aws configure / AWS_PROFILE) or use --model offline.');
      }
      const region = options.region ?? probe.region ?? envRegion ?? DEFAULT_REGION;
      const modelId = options.modelId ?? DEFAULT_MODEL_ID;
      // With the default model, titles come from the construct's cheap default title model too.
      const titleModelId = options.modelId ? undefined : DEFAULT_TITLE_MODEL_ID;
      const why = flag === 'auto' ? 'AWS credentials found' : '--model bedrock';
      return {
        provider: 'bedrock',
        modelId,
        titleModelId,
        region,
        description: `model: bedrock ${modelId} in ${region} (${why}; a paid model: every message is billed to your AWS account, `
          + 'use --model offline for the free offline model)',
      };
    }
    default:
      throw new LocalStackError(`Unknown --model "${String(flag)}": use auto, bedrock, openai or offline.`);
  }
}
