/**
 * The environment of each Lambda function (docs/RUNTIME.md §4): every variable name
 * and default once. The construct fills the functions' variables with `*ToEnv`, the `*.lambda.ts`
 * wiring reads them back with `*FromEnv`; the local stack builds the typed objects directly.
 */
import { AttachmentsEnv, attachmentsFromEnv } from './attachments-env';
import { DEFAULT_METRICS_NAMESPACE } from './metrics';
import { DEFAULT_MAX_FRAME_BYTES, DEFAULT_MAX_INPUT_CHARS } from './protocol';

/** A process environment (Node's `process.env` or a plain object). */
export type EnvVars = Readonly<Record<string, string | undefined>>;

/** Inference parameters passed to every Converse call (model defaults when unset). */
export interface InferenceConfig {
  /**
   * Most tokens one answer may have (1–65,536; the model may allow fewer).
   * @default - the model's default
   */
  readonly maxTokens?: number;
  /**
   * Sampling temperature, 0–1.
   * @default - the model's default
   */
  readonly temperature?: number;
  /**
   * Nucleus sampling, 0–1.
   * @default - the model's default
   */
  readonly topP?: number;
  /**
   * Up to 4 sequences (each at most 64 bytes of UTF-8) that end an answer.
   * @default - none
   */
  readonly stopSequences?: string[];
}

/** How a model is named in the client's picker, in both languages of the client. */
export interface ModelLabel {
  readonly ko: string;
  readonly en: string;
}

/** One model a conversation may use: a Converse model id, inference profile id or ARN. */
export interface ModelChoice {
  readonly modelId: string;
  readonly label: ModelLabel;
  /** Inference parameters of this model's answers (empty = the model's defaults). */
  readonly inferenceConfig: InferenceConfig;
}

/** The variable names. */
export const ENV = {
  tableName: 'TABLE_NAME',
  modelId: 'MODEL_ID',
  titleModelId: 'TITLE_MODEL_ID',
  systemPrompt: 'SYSTEM_PROMPT',
  inferenceConfig: 'INFERENCE_CONFIG',
  models: 'MODELS',
  historyTokenBudget: 'HISTORY_TOKEN_BUDGET',
  maxInputChars: 'MAX_INPUT_CHARS',
  maxFrameBytes: 'MAX_FRAME_BYTES',
  rateLimitPerMinute: 'RATE_LIMIT_PER_MINUTE',
  userPoolId: 'USER_POOL_ID',
  clientId: 'CLIENT_ID',
  jwtIssuer: 'JWT_ISSUER',
  jwtAudience: 'JWT_AUDIENCE',
  jwksUri: 'JWKS_URI',
  serviceName: 'POWERTOOLS_SERVICE_NAME',
  metricsNamespace: 'POWERTOOLS_METRICS_NAMESPACE',
  logLevel: 'POWERTOOLS_LOG_LEVEL',
  region: 'AWS_REGION',
  defaultRegion: 'AWS_DEFAULT_REGION',
  dynamodbEndpoint: 'DYNAMODB_ENDPOINT',
  bedrockEndpoint: 'BEDROCK_ENDPOINT',
  connectionsEndpoint: 'CONNECTIONS_ENDPOINT',
  local: 'CHATBOT_LOCAL',
} as const;

/** Default per-user message rate. */
export const DEFAULT_RATE_LIMIT_PER_MINUTE = 20;
/** Default token budget of the history window. */
export const DEFAULT_HISTORY_TOKEN_BUDGET = 8000;
/** Region used when the environment names none. */
export const DEFAULT_REGION = 'us-east-1';
/** Log level of the deployed functions. */
export const DEFAULT_LOG_LEVEL = 'INFO';

/** Logging and metrics identity of a function (Powertools). */
export interface TelemetryEnv {
  readonly serviceName: string;
  readonly namespace: string;
  readonly logLevel: string;
}

/** Where the SDK clients go. Endpoints are set only against emulators (local stack, tests). */
export interface AwsEnv {
  readonly region: string;
  readonly dynamodbEndpoint?: string;
  readonly bedrockEndpoint?: string;
  readonly connectionsEndpoint?: string;
  /** Emulators accept any credentials: use fixed local ones with the endpoints above. */
  readonly localCredentials: boolean;
}

/** The chat function's environment. */
export interface ChatEnv {
  readonly tableName: string;
  /** The default model (the one of `models` a conversation uses unless it names another). */
  readonly modelId: string;
  /**
   * The models a conversation may use; `modelId` is one of them.
   * @default - `modelId` alone, labelled with its id, with `inferenceConfig`
   */
  readonly models?: readonly ModelChoice[];
  /** @default modelId */
  readonly titleModelId: string;
  /** Undefined: the runtime's Korean-first default prompt. */
  readonly systemPrompt?: string;
  /** The default model's inference parameters. */
  readonly inferenceConfig: InferenceConfig;
  readonly historyTokenBudget: number;
  readonly maxInputChars: number;
  readonly maxFrameBytes: number;
  readonly rateLimitPerMinute: number;
  readonly telemetry: TelemetryEnv;
  readonly aws: AwsEnv;
}

/** The history function's environment. */
export interface HistoryEnv {
  readonly tableName: string;
  readonly telemetry: TelemetryEnv;
  readonly aws: AwsEnv;
  /** Undefined: attachments are off. */
  readonly attachments?: AttachmentsEnv;
}

/** How the authorizer verifies ID tokens: a Cognito user pool, or any RS256 issuer (local stack, tests). */
export type AuthMode =
  | { readonly mode: 'cognito'; readonly userPoolId: string; readonly clientId: string }
  | { readonly mode: 'generic'; readonly issuer: string; readonly audience: string; readonly jwksUri: string };

/** The authorizer's environment. */
export interface AuthorizerEnv {
  readonly auth: AuthMode;
  readonly telemetry: TelemetryEnv;
}

// ---- construct side: typed values → variables --------------------------------------------------

/** What the construct knows of the chat function (undefined = the default above). */
export interface ChatSettings {
  readonly tableName: string;
  /** The default model; with `models`, one of them. */
  readonly modelId: string;
  /** Every model a conversation may use, each with its effective inference parameters. */
  readonly models?: readonly ModelChoice[];
  readonly titleModelId: string;
  readonly systemPrompt?: string;
  readonly inferenceConfig?: InferenceConfig;
  readonly historyTokenBudget?: number;
  readonly maxInputChars?: number;
  readonly maxFrameBytes?: number;
  readonly rateLimitPerMinute?: number;
}

/** Powertools variables of a deployed function. */
export function telemetryToEnv(t: { serviceName: string; namespace?: string; logLevel?: string }): Record<string, string> {
  return {
    [ENV.serviceName]: t.serviceName,
    [ENV.metricsNamespace]: t.namespace ?? DEFAULT_METRICS_NAMESPACE,
    [ENV.logLevel]: t.logLevel ?? DEFAULT_LOG_LEVEL,
  };
}

/** The chat function's variables (without the Powertools ones). */
export function chatToEnv(s: ChatSettings): Record<string, string> {
  const env: Record<string, string> = {
    [ENV.tableName]: s.tableName,
    [ENV.modelId]: s.modelId,
    [ENV.titleModelId]: s.titleModelId,
    [ENV.historyTokenBudget]: String(s.historyTokenBudget ?? DEFAULT_HISTORY_TOKEN_BUDGET),
    [ENV.maxInputChars]: String(s.maxInputChars ?? DEFAULT_MAX_INPUT_CHARS),
    [ENV.maxFrameBytes]: String(s.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES),
    [ENV.rateLimitPerMinute]: String(s.rateLimitPerMinute ?? DEFAULT_RATE_LIMIT_PER_MINUTE),
  };
  if (s.systemPrompt !== undefined) env[ENV.systemPrompt] = s.systemPrompt;
  if (s.inferenceConfig) env[ENV.inferenceConfig] = JSON.stringify(s.inferenceConfig);
  if (s.models) env[ENV.models] = JSON.stringify(s.models);
  return env;
}

/** The history function's variables (without the Powertools ones). */
export function historyToEnv(s: { tableName: string }): Record<string, string> {
  return { [ENV.tableName]: s.tableName };
}

/** The authorizer's variables for a Cognito user pool and app client. */
export function cognitoAuthToEnv(s: { userPoolId: string; clientId: string }): Record<string, string> {
  return { [ENV.userPoolId]: s.userPoolId, [ENV.clientId]: s.clientId };
}

// ---- function side: variables → typed values ---------------------------------------------------

function required(env: EnvVars, name: string): string {
  const v = env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
}

function positiveInt(env: EnvVars, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return n;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Checks a parsed inference config; unknown keys are refused so typos do not pass silently. */
function inferenceConfigOf(v: unknown, where: string): InferenceConfig {
  if (!isObject(v)) throw new Error(`${where} must be a JSON object`);
  const out: { -readonly [K in keyof InferenceConfig]: InferenceConfig[K] } = {};
  for (const [k, val] of Object.entries(v)) {
    if (k === 'maxTokens' && Number.isInteger(val) && (val as number) > 0) out.maxTokens = val as number;
    else if ((k === 'temperature' || k === 'topP') && typeof val === 'number' && val >= 0 && val <= 1) out[k] = val;
    else if (k === 'stopSequences' && Array.isArray(val) && val.every((s) => typeof s === 'string')) out.stopSequences = val as string[];
    else throw new Error(`${where}: invalid ${k}`);
  }
  return out;
}

function parseJson(raw: string, name: string): unknown {
  try { return JSON.parse(raw); } catch { throw new Error(`${name} is not JSON`); }
}

/** Parses and checks `INFERENCE_CONFIG`; unknown keys are refused so typos do not pass silently. */
export function parseInferenceConfig(raw: string | undefined): InferenceConfig {
  if (!raw) return {};
  return inferenceConfigOf(parseJson(raw, ENV.inferenceConfig), ENV.inferenceConfig);
}

/**
 * Parses and checks `MODELS`: a JSON array of `{modelId, label: {ko, en}, inferenceConfig}`, ids
 * unique, labels non-empty, and `defaultModelId` among them.
 */
export function parseModels(raw: string, defaultModelId: string): ModelChoice[] {
  const v = parseJson(raw, ENV.models);
  if (!Array.isArray(v) || v.length === 0) throw new Error(`${ENV.models} must be a non-empty JSON array`);
  const models = v.map((m: unknown, i): ModelChoice => {
    const where = `${ENV.models}[${i}]`;
    if (!isObject(m) || typeof m.modelId !== 'string' || m.modelId === '') throw new Error(`${where} needs a modelId`);
    const label = m.label;
    if (!isObject(label) || typeof label.ko !== 'string' || typeof label.en !== 'string' || !label.ko.trim() || !label.en.trim()) {
      throw new Error(`${where} needs a label with non-empty ko and en`);
    }
    return { modelId: m.modelId, label: { ko: label.ko, en: label.en }, inferenceConfig: inferenceConfigOf(m.inferenceConfig ?? {}, `${where}.inferenceConfig`) };
  });
  const ids = models.map((m) => m.modelId);
  const repeated = ids.find((id, i) => ids.indexOf(id) !== i);
  if (repeated !== undefined) throw new Error(`${ENV.models} lists "${repeated}" twice`);
  if (!ids.includes(defaultModelId)) throw new Error(`${ENV.models} does not list ${ENV.modelId} "${defaultModelId}"`);
  return models;
}

/** The models of a chat environment: its `models`, or the default model alone. */
export function modelsOf(env: Pick<ChatEnv, 'modelId' | 'models' | 'inferenceConfig'>): readonly ModelChoice[] {
  return env.models ?? [{ modelId: env.modelId, label: { ko: env.modelId, en: env.modelId }, inferenceConfig: env.inferenceConfig }];
}

/** Powertools identity from the variables; `fallbackService` names the function when unset. */
export function telemetryFromEnv(env: EnvVars, fallbackService: string): TelemetryEnv {
  return {
    serviceName: env[ENV.serviceName] || fallbackService,
    namespace: env[ENV.metricsNamespace] || DEFAULT_METRICS_NAMESPACE,
    logLevel: env[ENV.logLevel] || DEFAULT_LOG_LEVEL,
  };
}

/** Region and emulator endpoints from the variables. */
export function awsFromEnv(env: EnvVars): AwsEnv {
  return {
    region: env[ENV.region] || env[ENV.defaultRegion] || DEFAULT_REGION,
    dynamodbEndpoint: env[ENV.dynamodbEndpoint] || undefined,
    bedrockEndpoint: env[ENV.bedrockEndpoint] || undefined,
    connectionsEndpoint: env[ENV.connectionsEndpoint] || undefined,
    localCredentials: env[ENV.local] === '1',
  };
}

/** Reads the chat function's environment; throws a clear error on a missing or bad value. */
export function chatFromEnv(env: EnvVars): ChatEnv {
  const modelId = required(env, ENV.modelId);
  return {
    tableName: required(env, ENV.tableName),
    modelId,
    models: env[ENV.models] ? parseModels(env[ENV.models]!, modelId) : undefined,
    titleModelId: env[ENV.titleModelId] || modelId,
    systemPrompt: env[ENV.systemPrompt] || undefined,
    inferenceConfig: parseInferenceConfig(env[ENV.inferenceConfig]),
    historyTokenBudget: positiveInt(env, ENV.historyTokenBudget, DEFAULT_HISTORY_TOKEN_BUDGET),
    maxInputChars: positiveInt(env, ENV.maxInputChars, DEFAULT_MAX_INPUT_CHARS),
    maxFrameBytes: positiveInt(env, ENV.maxFrameBytes, DEFAULT_MAX_FRAME_BYTES),
    rateLimitPerMinute: positiveInt(env, ENV.rateLimitPerMinute, DEFAULT_RATE_LIMIT_PER_MINUTE),
    telemetry: telemetryFromEnv(env, 'chat'),
    aws: awsFromEnv(env),
  };
}

/** Reads the history function's environment. */
export function historyFromEnv(env: EnvVars): HistoryEnv {
  return { tableName: required(env, ENV.tableName), telemetry: telemetryFromEnv(env, 'history'), aws: awsFromEnv(env), attachments: attachmentsFromEnv(env) };
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '127.0.0.1' || host === '[::1]' || host === '::1';
}

/** True for a plain-http URL the JWKS may be fetched from (loopback only). */
export function isLoopbackHttp(uri: string): boolean {
  const u = new URL(uri);
  return u.protocol === 'http:' && isLoopback(u.hostname);
}

/** Checks an authorizer mode: a well-formed user pool id, https JWKS (plain http only on loopback). */
export function checkAuthMode(auth: AuthMode): AuthMode {
  if (auth.mode === 'cognito') {
    if (!/^[a-z]{2}(-[a-z]+)+-\d_[A-Za-z0-9]+$/.test(auth.userPoolId)) throw new Error(`${ENV.userPoolId} "${auth.userPoolId}" is not a user pool id`);
    return auth;
  }
  if (new URL(auth.jwksUri).protocol !== 'https:' && !isLoopbackHttp(auth.jwksUri)) {
    throw new Error(`${ENV.jwksUri} must be https (plain http only on loopback)`);
  }
  return auth;
}

/** Reads the authorizer's mode; exactly one mode must be configured, completely. */
export function authModeFromEnv(env: EnvVars): AuthMode {
  const cognito = [env[ENV.userPoolId], env[ENV.clientId]];
  const generic = [env[ENV.jwtIssuer], env[ENV.jwtAudience], env[ENV.jwksUri]];
  const cognitoNames = `${ENV.userPoolId}/${ENV.clientId}`;
  const genericNames = `${ENV.jwtIssuer}/${ENV.jwtAudience}/${ENV.jwksUri}`;
  if (cognito.some(Boolean) && generic.some(Boolean)) throw new Error(`Configure either ${cognitoNames} or ${genericNames}, not both`);
  if (cognito.some(Boolean)) {
    const [userPoolId, clientId] = cognito;
    if (!userPoolId || !clientId) throw new Error(`Cognito mode needs both ${ENV.userPoolId} and ${ENV.clientId}`);
    return checkAuthMode({ mode: 'cognito', userPoolId, clientId });
  }
  if (generic.some(Boolean)) {
    const [issuer, audience, jwksUri] = generic;
    if (!issuer || !audience || !jwksUri) throw new Error(`Generic mode needs ${ENV.jwtIssuer}, ${ENV.jwtAudience} and ${ENV.jwksUri}`);
    return checkAuthMode({ mode: 'generic', issuer, audience, jwksUri });
  }
  throw new Error(`The authorizer needs ${ENV.userPoolId} and ${ENV.clientId} (or ${ENV.jwtIssuer}, ${ENV.jwtAudience} and ${ENV.jwksUri})`);
}

/** Reads the authorizer's environment. */
export function authorizerFromEnv(env: EnvVars): AuthorizerEnv {
  return { auth: authModeFromEnv(env), telemetry: telemetryFromEnv(env, 'authorizer') };
}
