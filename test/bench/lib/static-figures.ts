/**
 * Figures read from the built assets, no stack needed: the chat handler bundle's size, its cold
 * initialisation time in a fresh `node`, and the web client's gzipped JavaScript (first load and all).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { median } from './stats';

/** Repository root (test/bench/lib → ../../..). */
export const ROOT = join(__dirname, '..', '..', '..');
/** The bundled chat handler (docs/DEVELOPMENT.md §4). */
export const CHAT_BUNDLE = join(ROOT, 'assets', 'handlers', 'chat.lambda', 'index.js');
/** The built web client. */
export const CLIENT_DIR = join(ROOT, 'assets', 'client');

/** Bytes of the chat handler bundle, or undefined when it is not built. */
export function chatBundleBytes(): number | undefined {
  return existsSync(CHAT_BUNDLE) ? statSync(CHAT_BUNDLE).size : undefined;
}

/**
 * Median over `runs` fresh `node` processes of the time to `require` the chat bundle — what a
 * Lambda cold start spends in our code before the first event (Node's own boot excluded, since
 * Lambda's runtime has already booted when it loads the handler). Environment as the construct
 * sets it, pointing nowhere: initialisation must not call out.
 */
export function coldInitMs(runs = 5): { median: number; samples: number[]; processMedian: number } | undefined {
  if (!existsSync(CHAT_BUNDLE)) return undefined;
  const script = 'const t=process.hrtime.bigint();require(process.argv[1]);'
    + 'process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6));process.exit(0)';
  const env = {
    PATH: process.env.PATH ?? '',
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'cold',
    AWS_SECRET_ACCESS_KEY: 'cold',
    TABLE_NAME: 'chatbot',
    MODEL_ID: 'anthropic.claude-3-haiku-20240307-v1:0',
    POWERTOOLS_SERVICE_NAME: 'bench',
    POWERTOOLS_METRICS_NAMESPACE: 'Bench',
    NODE_NO_WARNINGS: '1',
  };
  const samples: number[] = [];
  const processes: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    const out = execFileSync(process.execPath, ['-e', script, CHAT_BUNDLE], { env, encoding: 'utf8' });
    processes.push(performance.now() - t);
    samples.push(Number(out));
  }
  // processMedian (spawn to exit, Node's boot included) is reported beside it for honesty.
  return { median: median(samples), samples, processMedian: median(processes) };
}

/** Static `import … from "./x.js"` / `import "./x.js"` in minified ESM (not `import("…")`, loaded on demand). */
const STATIC_IMPORT = /(?:^|[;}\s])import\s*(?:[\w$*{}\s,]+from\s*)?["'](\.{1,2}\/[^"']+\.js)["']/g;

/**
 * Gzipped bytes (level 9, as a CDN would serve it) of the built client's JavaScript: `firstLoad`
 * is what a first visit downloads before anything shows — app.js, what it imports statically and
 * the strings chunk of the page's language — the larger of Korean (`firstLoadKo`) and English
 * (`firstLoadEn`); `js` is every `.js` file, the chunks fetched on demand (highlight.js,
 * oidc-client-ts, …) included.
 */
export function clientGzipBytes(): { js: number; firstLoad: number; firstLoadKo: number; firstLoadEn: number; files: string[] } | undefined {
  if (!existsSync(CLIENT_DIR)) return undefined;
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.js')) files.push(p);
    }
  };
  walk(CLIENT_DIR);
  if (files.length === 0) return undefined;
  const gzip = (f: string) => gzipSync(readFileSync(f), { level: 9 }).length;
  const js = files.reduce((sum, f) => sum + gzip(f), 0);
  const entry = join(CLIENT_DIR, 'app.js');
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file) || !existsSync(file)) return;
    seen.add(file);
    for (const m of readFileSync(file, 'utf8').matchAll(STATIC_IMPORT)) visit(join(dirname(file), m[1]));
  };
  visit(entry);
  const inLang = (lang: string) => {
    const strings = files.find((f) => new RegExp(`/chunks/strings-${lang}-\\w+\\.js$`).test(f));
    const all = new Set(seen);
    if (strings) all.add(strings);
    return [...all].reduce((sum, f) => sum + gzip(f), 0);
  };
  const firstLoadKo = inLang('ko');
  const firstLoadEn = inLang('en');
  return { js, firstLoad: Math.max(firstLoadKo, firstLoadEn), firstLoadKo, firstLoadEn, files: files.map((f) => f.slice(ROOT.length + 1)) };
}
