/**
 * Builds the static web client into assets/client: index.html, app.js (the entry, an ES module
 * with marked and DOMPurify inlined), the chunks it imports on demand under chunks/
 * (the page language's UI strings before the first render, highlight.js with its languages when
 * a code block first appears, oidc-client-ts in Cognito mode only, the code behind a user action
 * on its first use; same-origin files, as the CSP's `script-src 'self'` requires) and app.css.
 * Licences of the bundled libraries go to *.LEGAL.txt beside each file.
 *
 * Prints the gzip size of what a first visit loads — app.js, the chunks it imports statically and
 * the strings chunk of the page's language, in Korean and in English — and of all JS, and fails
 * over budget, so growth shows in every build log.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import { buildSync, type Metafile } from 'esbuild';

const root = path.join(__dirname, '..');
const src = path.join(root, 'src', 'client');
const out = path.join(root, 'assets', 'client');
/** First-load JS budget (gzip level 9), issue 13. */
const FIRST_LOAD_BUDGET_GZIP_BYTES = 45 * 1024;
/** Budget for all JS together, chunks loaded on demand included. */
const TOTAL_BUDGET_GZIP_BYTES = 120 * 1024;
const TARGET = ['chrome111', 'firefox111', 'safari16.4'];

// Files are overwritten in place, never by emptying the folder first: a local stack or a test
// run serving assets/client at that moment must not see it missing. Old chunks are removed only
// after the new ones are written.
fs.mkdirSync(out, { recursive: true });
const chunkDir = path.join(out, 'chunks');
const oldChunks = fs.existsSync(chunkDir) ? fs.readdirSync(chunkDir).map((f) => path.join(chunkDir, f)) : [];

const result = buildSync({
  entryPoints: [path.join(src, 'main.ts')],
  outdir: out,
  entryNames: 'app',
  // Content-hashed names: a chunk's name changes with its content, so no cache can serve a
  // stale chunk to a new app.js.
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'browser',
  target: TARGET,
  minify: true,
  // Korean text as UTF-8 rather than \uXXXX escapes (half the bytes); module scripts are always
  // decoded as UTF-8, whatever the server's Content-Type says.
  charset: 'utf8',
  // The client never logs; what is dropped is the bundled libraries' developer warnings
  // (DOMPurify's misconfiguration notes, marked's `silent` mode), about 0.1 KB gzip.
  drop: ['console'],
  legalComments: 'linked',
  metafile: true,
  tsconfig: path.join(root, 'tsconfig.dev.json'),
  logLevel: 'warning',
});
buildSync({
  entryPoints: [path.join(src, 'app.css')],
  outfile: path.join(out, 'app.css'),
  bundle: true,
  minify: true,
  target: TARGET,
  logLevel: 'warning',
});
for (const file of ['index.html', 'favicon.svg']) fs.copyFileSync(path.join(src, file), path.join(out, file));

const written = new Set(Object.keys(result.metafile.outputs).map((f) => path.resolve(root, f)));
for (const file of oldChunks) if (!written.has(file)) fs.rmSync(file);

/** app.js and, transitively, what it imports statically: what a first visit must download. */
function firstLoad(metafile: Metafile, entry: string): string[] {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const imp of metafile.outputs[file]?.imports ?? []) if (imp.kind === 'import-statement') visit(imp.path);
  };
  visit(entry);
  return [...seen];
}

const gzip = (file: string) => zlib.gzipSync(fs.readFileSync(path.resolve(root, file)), { level: 9 }).length;
const jsFiles = Object.keys(result.metafile.outputs).filter((f) => f.endsWith('.js'));
const entry = jsFiles.find((f) => path.basename(f) === 'app.js')!;
for (const file of jsFiles) dropRuntimeImports(result.metafile, file);

/**
 * esbuild puts its CommonJS interop helpers (which highlight.js needs) in a chunk with no input
 * module of its own, and makes every chunk import it, the entry too, which uses none of them. The
 * helpers are declarations only, so a file's bare `import"./chunks/chunk-….js";` of such a
 * chunk is dropped: a first visit does not fetch it (0.4 KB gzip), the chunks that use it still
 * import it by name. An import that binds names is never touched.
 */
function dropRuntimeImports(metafile: Metafile, file: string): void {
  const output = metafile.outputs[file];
  const onDisk = path.resolve(root, file);
  let code = fs.readFileSync(onDisk, 'utf8');
  output.imports = output.imports.filter((imp) => {
    const target = metafile.outputs[imp.path];
    const runtimeOnly = imp.kind === 'import-statement' && target !== undefined && Object.keys(target.inputs).length === 0;
    const bare = `import"./${path.relative(path.dirname(file), imp.path).split(path.sep).join('/')}";`;
    if (!runtimeOnly || !code.includes(bare)) return true;
    code = code.replace(bare, '');
    return false;
  });
  fs.writeFileSync(onDisk, code);
}
/** The chunk of `src/client/<module>.ts`, a dynamic import's own entry point. */
const chunkOf = (module: string) => jsFiles.find((f) => result.metafile.outputs[f].entryPoint === `src/client/${module}.ts`);
// A module that app.js and an on-demand chunk both import moves into a chunk of its own that
// app.js then imports: a second request before anything runs. Pass such code in instead.
const shared = firstLoad(result.metafile, entry).filter((f) => f !== entry);
if (shared.length > 0) {
  console.error(`client: app.js imports ${shared.map((f) => path.basename(f)).join(', ')} statically (code shared with an on-demand chunk): pass it to that chunk instead`);
  process.exit(1);
}
/** What a first visit in `lang` loads: app.js and the strings of that language, with what they import statically. */
const firstLoadIn = (lang: 'ko' | 'en') => {
  const strings = chunkOf(`strings-${lang}`);
  if (!strings) throw new Error(`client: no chunk for src/client/strings-${lang}.ts`);
  return new Set([...firstLoad(result.metafile, entry), ...firstLoad(result.metafile, strings)]);
};
const firstKo = [...firstLoadIn('ko')].reduce((n, f) => n + gzip(f), 0);
const firstEn = [...firstLoadIn('en')].reduce((n, f) => n + gzip(f), 0);
const first = Math.max(firstKo, firstEn);
const total = jsFiles.reduce((n, f) => n + gzip(f), 0);
const css = gzip(path.join(out, 'app.css'));
const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
const chunks = jsFiles.filter((f) => f !== entry).map((f) => `${path.basename(f)} ${kb(gzip(f))}`).join(', ');
console.log(`client: first load ${kb(firstKo)} ko / ${kb(firstEn)} en gzip (budget ${kb(FIRST_LOAD_BUDGET_GZIP_BYTES)}), all JS ${kb(total)} gzip; on demand: ${chunks}; app.css ${kb(css)} gzip`);
if (first > FIRST_LOAD_BUDGET_GZIP_BYTES || total > TOTAL_BUDGET_GZIP_BYTES) {
  console.error(`client: JS is over its budget (first load ${kb(FIRST_LOAD_BUDGET_GZIP_BYTES)}, all ${kb(TOTAL_BUDGET_GZIP_BYTES)} gzip)`);
  process.exit(1);
}
