/**
 * The `--model` list (docs/LOCAL.md §3): repeated flags and comma-separated values, each entry
 * `KIND[:ID][@URL][=LABEL]`, parsed and checked here before anything starts.
 */
import { MAX_MODEL_ID_CHARS } from '../contract/protocol';

/** The kinds of `--model` entry. */
export type ModelKind = 'auto' | 'offline' | 'offline-fast' | 'bedrock' | 'openai';

/** One `--model` entry as written. */
export interface ModelSpec {
  readonly kind: ModelKind;
  /** `bedrock:ID` / `openai:NAME`; absent: `--model-id` or the default. */
  readonly id?: string;
  /** `openai[:NAME]@URL`; absent: `--openai-base-url` or the default. */
  readonly baseUrl?: string;
  /** `=LABEL`: the picker's label in both languages. */
  readonly label?: string;
  /** The entry as written (for messages). */
  readonly text: string;
}

/** The most models one stack offers (the construct's `models` prop allows as many). */
export const MAX_LOCAL_MODELS = 20;
/** A picker label is at most this many UTF-8 bytes (as the construct's). */
export const MAX_MODEL_LABEL_BYTES = 64;

/** The forms, for error messages and `--help`. */
export const MODEL_FORMS = 'auto, offline, offline-fast, bedrock[:ID], openai[:NAME][@URL], each optionally =LABEL; '
  + 'several: repeat --model or separate with commas (the first is the default)';

const KINDS: readonly ModelKind[] = ['auto', 'offline', 'offline-fast', 'bedrock', 'openai'];

/** Thrown for a bad `--model` value; the CLI prints the message as one line. */
export class ModelListError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelListError';
  }
}

function parseEntry(text: string): ModelSpec {
  const bad = (why: string) => new ModelListError(`--model "${text}": ${why} (forms: ${MODEL_FORMS}).`);
  let rest = text;
  let label: string | undefined;
  const eq = rest.indexOf('=');
  if (eq >= 0) {
    label = rest.slice(eq + 1).trim();
    rest = rest.slice(0, eq);
    if (!label) throw bad('the label after = is empty');
    if (/\p{Cc}/u.test(label)) throw bad('the label has a control character');
    if (new TextEncoder().encode(label).length > MAX_MODEL_LABEL_BYTES) throw bad(`the label is over ${MAX_MODEL_LABEL_BYTES} UTF-8 bytes`);
  }
  let baseUrl: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    baseUrl = rest.slice(at + 1).trim();
    rest = rest.slice(0, at);
    let url: URL | undefined;
    try {
      url = new URL(baseUrl);
    } catch {
      url = undefined;
    }
    if (!url || !/^https?:$/.test(url.protocol)) throw bad(`"${baseUrl}" is not an http:// or https:// URL`);
  }
  const colon = rest.indexOf(':');
  const kind = (colon >= 0 ? rest.slice(0, colon) : rest).trim() as ModelKind;
  if (!KINDS.includes(kind)) throw bad(`unknown kind "${kind}"`);
  if (baseUrl !== undefined && kind !== 'openai') throw bad('only openai takes @URL');
  if (colon < 0) return { kind, baseUrl, label, text };
  if (kind !== 'bedrock' && kind !== 'openai') throw bad(`${kind} takes no id`);
  const id = rest.slice(colon + 1).trim();
  if (!id) throw bad('the id after : is empty');
  if (!/^[\x21-\x7e]+$/.test(id) || id.length > MAX_MODEL_ID_CHARS) throw bad(`the id must be 1 to ${MAX_MODEL_ID_CHARS} printable ASCII characters, no spaces`);
  return { kind, id, baseUrl, label, text };
}

/**
 * Parses the `--model` values (each may be a comma list). No value: `auto`. Throws a
 * {@link ModelListError} for an unknown kind, an empty entry, `auto` next to other entries, more
 * than {@link MAX_LOCAL_MODELS} entries, or a bad id, URL or label.
 */
export function parseModelList(values: string | readonly string[] | undefined): ModelSpec[] {
  const list = values === undefined ? [] : typeof values === 'string' ? [values] : values;
  const entries = list.flatMap((v) => v.split(',')).map((e) => e.trim());
  if (entries.length === 0) return [{ kind: 'auto', text: 'auto' }];
  if (entries.some((e) => e === '')) throw new ModelListError(`--model has an empty entry (forms: ${MODEL_FORMS}).`);
  const specs = entries.map(parseEntry);
  if (specs.length > 1 && specs.some((s) => s.kind === 'auto')) {
    throw new ModelListError('--model auto stands alone: name the models instead (e.g. --model offline,bedrock).');
  }
  if (specs.length > MAX_LOCAL_MODELS) throw new ModelListError(`--model names ${specs.length} models; at most ${MAX_LOCAL_MODELS}.`);
  return specs;
}

/**
 * A short picker label from a Bedrock id, inference profile or ARN:
 * `global.anthropic.claude-sonnet-4-5-20250929-v1:0` → `claude-sonnet-4-5`.
 */
export function shortModelName(modelId: string): string {
  const tail = modelId.split('/').pop()!;
  const name = tail.split('.').pop()!.replace(/-\d{8}(-.*)?$/, '').replace(/-v\d+(:\d+)?$/, '');
  return name || tail;
}
