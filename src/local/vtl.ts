/**
 * API Gateway's mapping templates, rendered with a Velocity engine (velocityjs) over the variables
 * API Gateway gives them: `$input` (`body`, `json(path)`, `path(path)`, `params()`), `$context` and
 * `$util` (`escapeJavaScript`, `parseJson`, `urlEncode`, `urlDecode`, `base64Encode`,
 * `base64Decode`). The local gateway builds the async `sendMessage` event with it, so the local
 * stack runs the template the deployed integration runs.
 */
import { Compile, parse } from 'velocityjs';

/** Reads a JSONPath of the simple forms API Gateway templates use: `$`, `$.a.b`, `$['a']`, `$.a[0]`. */
export function jsonPath(root: unknown, path: string): unknown {
  if (!path.startsWith('$')) throw new Error(`Unsupported JSONPath "${path}"`);
  const steps = path.slice(1).match(/\.[A-Za-z_$][\w$]*|\[\d+\]|\['[^']*'\]|\["[^"]*"\]/g) ?? [];
  if (steps.join('') !== path.slice(1)) throw new Error(`Unsupported JSONPath "${path}"`);
  let v: any = root;
  for (const step of steps) {
    if (v === undefined || v === null) return undefined;
    const key = step.startsWith('.') ? step.slice(1) : step.startsWith('[\'') || step.startsWith('["') ? step.slice(2, -2) : Number(step.slice(1, -1));
    v = v[key];
  }
  return v;
}

/**
 * `$util.escapeJavaScript`: the string escaped by JavaScript string rules (Apache Commons
 * StringEscapeUtils.escapeJavaScript, which API Gateway documents it as): quotes, backslash, `/`,
 * control characters, and everything outside printable ASCII as `\uXXXX`.
 */
export function escapeJavaScript(s: string): string {
  let out = '';
  for (const ch of s) {
    const code = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\'' || ch === '\\' || ch === '/') {out += `\\${ch}`;} else if (ch === '\b') {out += '\\b';} else if (ch === '\n') {out += '\\n';} else if (ch === '\t') {out += '\\t';} else if (ch === '\f') {out += '\\f';} else if (ch === '\r') {out += '\\r';} else if (code < 0x20 || code > 0x7e) {
      for (const unit of ch.length === 2 ? [ch.charCodeAt(0), ch.charCodeAt(1)] : [code]) out += `\\u${unit.toString(16).toUpperCase().padStart(4, '0')}`;
    } else {out += ch;}
  }
  return out;
}

/** The request a template is rendered for. */
export interface TemplateRequest {
  /** The raw message body. */
  readonly body: string;
  /** `$context`: connectionId, domainName, stage, requestId, authorizer, identity, … */
  readonly context: Record<string, unknown>;
  /** Request parameters (`$input.params()`). @default none */
  readonly params?: { header?: Record<string, string>; querystring?: Record<string, string>; path?: Record<string, string> };
}

/**
 * Parsed templates by their text. The gateway renders the same template for every message, and
 * parsing is two thirds of a render (about 0.2 of 0.3 ms); rendering never changes the parsed
 * tree, so one serves every request. Bounded, since any text may be rendered (tests do).
 */
const parsedTemplates = new Map<string, ReturnType<typeof parse>>();
const MAX_PARSED_TEMPLATES = 64;

function parsedTemplate(template: string): ReturnType<typeof parse> {
  let ast = parsedTemplates.get(template);
  if (!ast) {
    if (parsedTemplates.size >= MAX_PARSED_TEMPLATES) parsedTemplates.clear();
    ast = parse(template);
    parsedTemplates.set(template, ast);
  }
  return ast;
}

/** Renders an API Gateway mapping template for one request. */
export function renderTemplate(template: string, req: TemplateRequest): string {
  let parsed: { ok: true; value: unknown } | { ok: false } | undefined;
  const root = (): unknown => {
    if (!parsed) {
      try {
        parsed = { ok: true, value: JSON.parse(req.body) };
      } catch {
        parsed = { ok: false };
      }
    }
    if (!parsed.ok) throw new Error('$input.json/$input.path need a JSON body');
    return parsed.value;
  };
  const params = { header: {}, querystring: {}, path: {}, ...req.params };
  const input = {
    body: req.body,
    // A JSON text of the value at the path, as API Gateway serializes it.
    json: (path: string) => JSON.stringify(jsonPath(root(), path) ?? null),
    path: (path: string) => jsonPath(root(), path),
    params: (name?: string) => {
      if (name === undefined) return params;
      return (params.path as Record<string, string>)[name] ?? (params.querystring as Record<string, string>)[name]
        ?? (params.header as Record<string, string>)[name] ?? '';
    },
  };
  const util = {
    escapeJavaScript: (s: unknown) => escapeJavaScript(String(s ?? '')),
    parseJson: (s: string) => JSON.parse(s),
    urlEncode: (s: string) => encodeURIComponent(s),
    urlDecode: (s: string) => decodeURIComponent(s),
    base64Encode: (s: string) => Buffer.from(s, 'utf8').toString('base64'),
    base64Decode: (s: string) => Buffer.from(s, 'base64').toString('utf8'),
  };
  // escape: false — Velocity in API Gateway writes values as they are (no HTML escaping). A new
  // Compile per request: it keeps the request's variables (#set, loop state) while rendering.
  return new Compile(parsedTemplate(template), { escape: false }).render({ input, context: req.context, util });
}
