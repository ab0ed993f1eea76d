/**
 * Builds the static web client into assets/client: index.html, app.js (one minified ES module
 * with marked, DOMPurify, highlight.js core and oidc-client-ts inlined) and app.css. Licences
 * of the bundled libraries go to app.js.LEGAL.txt. Prints the gzip size of the JS so growth shows
 * in every build log (budget: 120 KB gzip).
 */
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import { buildSync } from 'esbuild';

const root = path.join(__dirname, '..');
const src = path.join(root, 'src', 'client');
const out = path.join(root, 'assets', 'client');
/** The JS size budget from the client issue. */
const JS_BUDGET_GZIP_BYTES = 120 * 1024;

// Files are overwritten in place, never by emptying the folder first: a local stack or a test
// run serving assets/client at that moment must not see it missing.
fs.mkdirSync(out, { recursive: true });

buildSync({
  entryPoints: [path.join(src, 'main.ts')],
  outfile: path.join(out, 'app.js'),
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['chrome111', 'firefox111', 'safari16.4'],
  minify: true,
  legalComments: 'linked',
  tsconfig: path.join(root, 'tsconfig.dev.json'),
  logLevel: 'warning',
});
buildSync({
  entryPoints: [path.join(src, 'app.css')],
  outfile: path.join(out, 'app.css'),
  bundle: true,
  minify: true,
  target: ['chrome111', 'firefox111', 'safari16.4'],
  logLevel: 'warning',
});
for (const file of ['index.html', 'favicon.svg']) fs.copyFileSync(path.join(src, file), path.join(out, file));

const js = fs.readFileSync(path.join(out, 'app.js'));
const gzip = zlib.gzipSync(js, { level: 9 }).length;
const css = zlib.gzipSync(fs.readFileSync(path.join(out, 'app.css')), { level: 9 }).length;
console.log(`client: app.js ${(js.length / 1024).toFixed(1)} KB, ${(gzip / 1024).toFixed(1)} KB gzip; app.css ${(css / 1024).toFixed(1)} KB gzip`);
if (gzip > JS_BUDGET_GZIP_BYTES) {
  console.error(`client: app.js is over its ${JS_BUDGET_GZIP_BYTES / 1024} KB gzip budget`);
  process.exit(1);
}
