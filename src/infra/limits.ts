import { Duration, Token } from 'aws-cdk-lib';
import type { InferenceConfig } from '../contract/env';

/**
 * Every limit the construct enforces on its props, in one place (the README lists them).
 * Byte limits count UTF-8 bytes: Hangul takes 3 bytes a character. They exist because all of
 * the chat function's settings travel in its environment, which Lambda caps at 4 KB in total.
 */
export const PROP_LIMITS = {
  modelIdBytes: 200,
  /** Models in the `models` prop. */
  models: 20,
  modelLabelBytes: 64,
  systemPromptBytes: 2048,
  stopSequences: 4,
  stopSequenceBytes: 64,
  maxTokens: { min: 1, max: 65_536 },
  historyTokenBudget: { min: 500, max: 200_000 },
  maxInputChars: { min: 1, max: 64_000 },
  rateLimitPerMinute: { min: 1, max: 1_000 },
  chatTimeoutMinutes: { min: 1, max: 15 },
  /** Lambda's cap on a function's whole environment, measured as the JSON of the map. */
  environmentBytes: 4096,
} as const;

/** What an unresolved environment value (the table name) may grow to: DynamoDB's longest name. */
const UNRESOLVED_VALUE_BYTES = 255;

/** UTF-8 byte length (Hangul is 3 bytes a character). */
export function utf8Length(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** Throws unless `value` is an integer in [min, max]. Unresolved tokens pass (checked at deploy). */
export function checkInteger(name: string, value: number | undefined, range: { min: number; max: number }): void {
  if (value === undefined || Token.isUnresolved(value)) return;
  if (!Number.isInteger(value) || value < range.min || value > range.max) {
    throw new Error(`${name} must be an integer from ${range.min} to ${range.max} (got ${value}).`);
  }
}

/** Throws unless `value` is a number in [0, 1]. */
export function checkUnit(name: string, value: number | undefined): void {
  if (value === undefined || Token.isUnresolved(value)) return;
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0 || value > 1) {
    throw new Error(`${name} must be a number from 0 to 1 (got ${value}).`);
  }
}

/** Throws unless `value` is non-blank and at most `maxBytes` UTF-8 bytes. */
export function checkText(name: string, value: string | undefined, maxBytes: number): void {
  if (value === undefined || Token.isUnresolved(value)) return;
  if (value.trim().length === 0) throw new Error(`${name} must not be empty.`);
  const bytes = utf8Length(value);
  if (bytes > maxBytes) {
    throw new Error(`${name} may be at most ${maxBytes} bytes of UTF-8 (got ${bytes}; Hangul takes 3 bytes a character).`);
  }
}

/** Throws unless `value` is a Converse model id, inference profile id or ARN. */
export function checkModelId(name: string, value: string | undefined): void {
  if (value === undefined || Token.isUnresolved(value)) return;
  checkText(name, value, PROP_LIMITS.modelIdBytes);
  if (!/^[A-Za-z0-9][A-Za-z0-9._:/-]*$/.test(value)) {
    throw new Error(`${name} "${value}" is not a Bedrock model id, inference profile id or ARN.`);
  }
}

/** Throws unless the stop sequences fit Converse's limits and ours. */
export function checkStopSequences(value: string[] | undefined, name = 'inferenceConfig.stopSequences'): void {
  if (value === undefined) return;
  if (value.length > PROP_LIMITS.stopSequences) {
    throw new Error(`${name} may hold at most ${PROP_LIMITS.stopSequences} sequences (got ${value.length}).`);
  }
  value.forEach((s, i) => {
    if (Token.isUnresolved(s)) return;
    if (s.length === 0) throw new Error(`${name}[${i}] must not be empty.`);
    checkText(`${name}[${i}]`, s, PROP_LIMITS.stopSequenceBytes);
  });
}

/** Throws unless every inference parameter is in range; `name` prefixes the messages. */
export function checkInferenceConfig(name: string, value: InferenceConfig | undefined): void {
  checkInteger(`${name}.maxTokens`, value?.maxTokens, PROP_LIMITS.maxTokens);
  checkUnit(`${name}.temperature`, value?.temperature);
  checkUnit(`${name}.topP`, value?.topP);
  checkStopSequences(value?.stopSequences, `${name}.stopSequences`);
}

/** A `models` entry as the limits see it. */
interface ModelEntry {
  readonly modelId: string;
  readonly label: { readonly ko: string; readonly en: string };
  readonly inferenceConfig?: InferenceConfig;
  readonly isDefault?: boolean;
}

/**
 * Throws unless `models` is 1–20 models with unique, valid ids, non-empty labels of at most
 * 64 bytes, valid inference parameters and exactly one default (a list of one needs no flag).
 */
export function checkModels(models: readonly ModelEntry[] | undefined): void {
  if (models === undefined) return;
  if (models.length === 0 || models.length > PROP_LIMITS.models) {
    throw new Error(`models must list 1 to ${PROP_LIMITS.models} models (got ${models.length}).`);
  }
  const seen = new Set<string>();
  models.forEach((m, i) => {
    const at = `models[${i}]`;
    checkModelId(`${at}.modelId`, m.modelId);
    if (seen.has(m.modelId)) throw new Error(`models lists "${m.modelId}" twice (${at}); each model may appear once.`);
    seen.add(m.modelId);
    checkText(`${at}.label.ko`, m.label?.ko ?? '', PROP_LIMITS.modelLabelBytes);
    checkText(`${at}.label.en`, m.label?.en ?? '', PROP_LIMITS.modelLabelBytes);
    checkInferenceConfig(`${at}.inferenceConfig`, m.inferenceConfig);
  });
  const defaults = models.filter((m) => m.isDefault === true).length;
  if (defaults > 1) throw new Error(`models has ${defaults} models with isDefault: true; exactly one may be the default.`);
  if (defaults === 0 && models.length > 1) throw new Error('models needs one model with isDefault: true (the model new conversations use).');
}

/** Throws unless the chat timeout is whole minutes Lambda allows. */
export function checkChatTimeout(value: Duration | undefined): void {
  if (value === undefined || value.isUnresolved()) return;
  const seconds = value.toSeconds();
  const { min, max } = PROP_LIMITS.chatTimeoutMinutes;
  if (seconds < min * 60 || seconds > max * 60) {
    throw new Error(`chatTimeout must be from ${min} to ${max} minutes (got ${seconds} s).`);
  }
}

/** Throws unless `prefix` is a valid Cognito prefix domain. */
export function checkDomainPrefix(prefix: string | undefined): void {
  if (prefix === undefined || Token.isUnresolved(prefix)) return;
  if (!/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(prefix) || /aws|amazon|cognito/.test(prefix)) {
    throw new Error(`cognitoDomainPrefix "${prefix}" must be 1-63 lowercase letters, digits and hyphens, must not start or end with a hyphen, and must not contain aws, amazon or cognito.`);
  }
}

/** Throws unless `arn` is a CloudFront-scoped (us-east-1, global) WAFv2 web ACL ARN. */
export function checkWebAclArn(arn: string | undefined): void {
  if (arn === undefined || Token.isUnresolved(arn)) return;
  if (!/^arn:aws[a-z-]*:wafv2:us-east-1:\d{12}:global\/webacl\/.+/.test(arn)) {
    throw new Error(`webAclArn must be the ARN of a WAFv2 web ACL with CLOUDFRONT scope (arn:aws:wafv2:us-east-1:<account>:global/webacl/…), got "${arn}".`);
  }
}

/** Throws unless `name` is a CloudWatch namespace this library may publish to. */
export function checkNamespace(name: string | undefined): void {
  if (name === undefined || Token.isUnresolved(name)) return;
  if (!/^[A-Za-z0-9._/#:-]{1,255}$/.test(name) || name.startsWith('AWS/') || name.startsWith(':')) {
    throw new Error(`metricsNamespace "${name}" must be 1-255 of [A-Za-z0-9._/#:-], not start with ":" and not be an AWS/ namespace.`);
  }
}

/** Throws unless `name` is a valid DynamoDB table name. */
export function checkTableName(name: string | undefined): void {
  if (name === undefined || Token.isUnresolved(name)) return;
  if (!/^[A-Za-z0-9_.-]{3,255}$/.test(name)) {
    throw new Error(`tableOptions.tableName "${name}" must be 3-255 of [A-Za-z0-9_.-].`);
  }
}

/**
 * Throws unless `environment` fits Lambda's 4 KB. Lambda measures the JSON of the whole map, so
 * each prop within its own limit can still overflow it together (and `"`, `\\` or control
 * characters take 2-6 bytes there); without this check the deploy fails instead of the synth.
 */
export function checkEnvironmentSize(functionName: string, environment: Record<string, string>): void {
  const measured = Object.fromEntries(Object.entries(environment)
    .map(([key, value]) => [key, Token.isUnresolved(value) ? 'x'.repeat(UNRESOLVED_VALUE_BYTES) : value]));
  const bytes = utf8Length(JSON.stringify(measured));
  if (bytes > PROP_LIMITS.environmentBytes) {
    throw new Error(`The ${functionName} environment would be ${bytes} bytes as JSON; Lambda allows ${PROP_LIMITS.environmentBytes}. `
      + 'Shorten systemPrompt, inferenceConfig.stopSequences, the model ids, the models list (fewer models, shorter labels) or the table name.');
  }
}
