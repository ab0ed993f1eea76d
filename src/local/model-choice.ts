/**
 * Which models the local stack offers (docs/LOCAL.md §3, `--model`): the offline demo model, real
 * Bedrock models (when credentials resolve) and OpenAI-compatible servers, one or several; the
 * first is the default. `auto` (the default flag): Bedrock when credentials resolve, else offline.
 */
import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { bedrockBrain } from './model/bedrock';
import { Brain } from './model/brain';
import { OFFLINE_DEFAULT_CPS, offlineBrain } from './model/offline';
import { DEFAULT_OPENAI_BASE_URL, openaiBrain } from './model/openai';
import { routedBrain } from './model/routes';
import { ModelListError, ModelSpec, parseModelList, shortModelName } from './model-list';
import { DEFAULT_REGION, ENV, ModelLabel } from '../contract/env';
import { DEFAULT_MODEL_ID, DEFAULT_TITLE_MODEL_ID } from '../contract/models';

/** The single-model `--model` values of earlier versions (each still works alone). */
export type ModelFlag = 'auto' | 'bedrock' | 'openai' | 'offline';
/** Who answers a model (`config.json` `model.provider`). */
export type ModelProvider = 'bedrock' | 'openai' | 'offline';

/** OpenAI-compatible model used when `--model-id` is not given (an Ollama model that writes Korean). */
export const DEFAULT_OPENAI_MODEL_ID = 'qwen2.5:7b';
/** The model id the offline brain is addressed by. */
export const OFFLINE_MODEL_ID = 'offline';
/** The faster offline model `auto` offers next to it when there are no credentials (to show the picker). */
export const OFFLINE_FAST_MODEL_ID = 'offline-fast';
/** How many times faster than `--offline-cps` the offline-fast model streams. */
export const OFFLINE_FAST_FACTOR = 5;
/** How long `auto`/`bedrock` wait for the credential chain (instance metadata can be slow to fail). */
export const CREDENTIAL_PROBE_MS = 5000;

/** A user-facing failure of the local stack: the CLI prints its message as one line. */
export class LocalStackError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LocalStackError';
  }
}

/** Options that pick the models. */
export interface ModelOptions {
  /**
   * The `--model` values: one or several entries (each value may be a comma list), first the
   * default. @default 'auto'
   */
  readonly model?: ModelFlag | string | readonly string[];
  /** The id of a bare `bedrock` or `openai` entry. */
  readonly modelId?: string;
  readonly region?: string;
  /** The server of `openai` entries without `@URL`. */
  readonly openaiBaseUrl?: string;
  /** Offline model speed, characters per second. @default OFFLINE_DEFAULT_CPS */
  readonly offlineCps?: number;
}

/** One model the stack offers. */
export interface LocalModel {
  readonly provider: ModelProvider;
  readonly modelId: string;
  readonly label: ModelLabel;
}

/**
 * The chosen models; the top-level fields describe the default (the first). `brain` is set when
 * the local model server answers (any model not on Bedrock); it routes each model id to its brain.
 */
export interface ModelSelection {
  readonly provider: ModelProvider;
  readonly modelId: string;
  /** `TITLE_MODEL_ID` when it differs from `modelId`. */
  readonly titleModelId?: string;
  readonly region: string;
  readonly brain?: Brain;
  /** Releases what `brain` holds (the Bedrock client of Bedrock models served through it). */
  readonly close?: () => void;
  /** Every model offered, the default first. */
  readonly models: readonly LocalModel[];
  /** Lines for the console, one per model, e.g. `model: offline (no AWS credentials found; …)`. */
  readonly description: string;
  /** Lines (one per problem) when a model will not answer as chosen (e.g. nothing listens at its URL). */
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

/** A model resolved from its entry, with its brain (none: real Bedrock). */
interface Resolved extends LocalModel {
  readonly titleModelId?: string;
  readonly brain?: Brain;
  readonly description: string;
  readonly warning?: Promise<string | undefined>;
}

const BILLED = 'a paid model: every message is billed to your AWS account, use --model offline for the free offline model';

/**
 * Picks the models for the flags given. Throws {@link LocalStackError} for a bad `--model` list
 * and for Bedrock entries without credentials.
 */
export async function selectModel(options: ModelOptions): Promise<ModelSelection> {
  let specs: ModelSpec[];
  try {
    specs = parseModelList(options.model);
  } catch (err) {
    if (err instanceof ModelListError) throw new LocalStackError(err.message);
    throw err;
  }
  const envRegion = process.env[ENV.region] ?? process.env[ENV.defaultRegion];
  const cps = options.offlineCps ?? OFFLINE_DEFAULT_CPS;
  const auto = specs[0].kind === 'auto';
  const probe = specs.some((s) => s.kind === 'auto' || s.kind === 'bedrock') ? await probeAws(options.region ?? envRegion) : undefined;
  const region = options.region ?? probe?.region ?? envRegion ?? DEFAULT_REGION;
  if (auto) {
    specs = probe!.ok ? [{ kind: 'bedrock', text: 'auto' }]
      : [{ kind: 'offline', text: 'auto' }, { kind: 'offline-fast', text: 'auto' }];
  } else if (probe && !probe.ok) {
    const entry = specs.find((s) => s.kind === 'bedrock')!.text;
    throw new LocalStackError(`--model ${entry} needs AWS credentials, and none resolved (${probe.reason}). `
      + 'Configure a profile (aws configure / AWS_PROFILE) or use --model offline.');
  }
  const why = (s: ModelSpec, i: number) => (auto ? (probe!.ok ? 'AWS credentials found' : i === 0 ? 'no AWS credentials found' : 'also offered') : `--model ${s.text}`);
  const label = (s: ModelSpec, ko: string, en: string): ModelLabel => (s.label ? { ko: s.label, en: s.label } : { ko, en });
  const resolve = (s: ModelSpec, i: number): Resolved => {
    switch (s.kind) {
      case 'offline':
      case 'auto':
        return {
          provider: 'offline',
          modelId: OFFLINE_MODEL_ID,
          label: label(s, '오프라인 데모', 'Offline demo'),
          brain: offlineBrain({ cps }),
          description: `model: offline (${why(s, i)}; the demo model, no language model: a fixed Markdown answer around your message)`,
        };
      case 'offline-fast':
        return {
          provider: 'offline',
          modelId: OFFLINE_FAST_MODEL_ID,
          label: label(s, '오프라인 데모 (빠름)', 'Offline demo (fast)'),
          brain: offlineBrain({ cps: cps * OFFLINE_FAST_FACTOR }),
          description: `model: offline-fast (${why(s, i)}; the demo model at ${cps * OFFLINE_FAST_FACTOR} characters a second)`,
        };
      case 'openai': {
        const baseUrl = s.baseUrl ?? options.openaiBaseUrl ?? DEFAULT_OPENAI_BASE_URL;
        const modelId = s.id ?? options.modelId ?? DEFAULT_OPENAI_MODEL_ID;
        return {
          provider: 'openai',
          modelId,
          label: label(s, `${modelId} (로컬)`, `${modelId} (local)`),
          brain: openaiBrain({ baseUrl, apiKey: process.env.OPENAI_API_KEY }),
          description: `model: openai ${modelId} at ${baseUrl} (${why(s, i)})`,
          warning: checkOpenAiServer(baseUrl, modelId, process.env.OPENAI_API_KEY),
        };
      }
      case 'bedrock': {
        const modelId = s.id ?? options.modelId ?? DEFAULT_MODEL_ID;
        const name = shortModelName(modelId);
        return {
          provider: 'bedrock',
          modelId,
          label: label(s, `${name} (Bedrock, 유료)`, `${name} (Bedrock, paid)`),
          // With the default model, titles come from the construct's cheap default title model too.
          titleModelId: s.id ?? options.modelId ? undefined : DEFAULT_TITLE_MODEL_ID,
          description: `model: bedrock ${modelId} in ${region} (${why(s, i)}; ${BILLED})`,
        };
      }
    }
  };
  const resolved = specs.map(resolve);
  const ids = resolved.map((m) => m.modelId);
  const twice = ids.find((id, i) => ids.indexOf(id) !== i);
  if (twice !== undefined) throw new LocalStackError(`--model names the model "${twice}" twice; each model may be offered once.`);
  const first = resolved[0];
  // Real Bedrock alone: the chat handler talks to AWS itself. Otherwise the local model server
  // answers every model, Bedrock ones through the proxy brain.
  let brain: Brain | undefined;
  let close: (() => void) | undefined;
  if (resolved.some((m) => m.provider !== 'bedrock')) {
    let proxy: ReturnType<typeof bedrockBrain> | undefined;
    const brainOf = (m: Resolved) => m.brain ?? (proxy ??= bedrockBrain({ region }));
    const routes = new Map(resolved.map((m) => [m.modelId, brainOf(m)] as const));
    if (first.titleModelId) routes.set(first.titleModelId, brainOf(first));
    brain = routedBrain(routes);
    close = () => proxy?.close();
  }
  const warnings = (await Promise.all(resolved.map((m) => m.warning))).filter((w): w is string => w !== undefined);
  const lines = resolved.map((m) => m.description);
  if (resolved.length > 1) lines.push(`models: ${ids.map((id, i) => (i === 0 ? `${id} (default)` : id)).join(', ')}; each conversation picks one in the client`);
  return {
    provider: first.provider,
    modelId: first.modelId,
    titleModelId: first.titleModelId,
    region,
    brain,
    close,
    models: resolved.map((m) => ({ provider: m.provider, modelId: m.modelId, label: m.label })),
    description: lines.join('\n'),
    warning: warnings.length ? warnings.join('\n') : undefined,
  };
}
