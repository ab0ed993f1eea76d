/**
 * The import graph of src/ and the layering rules it must keep (docs/DEVELOPMENT.md §2):
 * contract ← core ← handlers ← local, contract ← infra ← construct ← index, contract ← client.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';

/** Where a file sits. */
export type Area = 'contract' | 'core' | 'handlers' | 'lambda-construct' | 'infra' | 'construct' | 'index' | 'local' | 'client';

/** One import: from a file of src/ to another file of src/, or to a package (`to` undefined). */
export interface Edge {
  readonly from: string;
  /** The imported file, relative to src/ (undefined for a package or Node built-in). */
  readonly to?: string;
  readonly specifier: string;
}

/** What each area may import from src/ (its own area always included). */
export const ALLOWED: Record<Area, readonly Area[]> = {
  // Pure and dependency-free: shared by the construct, the handlers, the local stack and the browser.
  'contract': [],
  'core': ['contract'],
  'handlers': ['core', 'contract'],
  // projen's generated `*-function.ts` Lambda constructs: aws-cdk-lib only.
  'lambda-construct': [],
  'infra': ['contract', 'lambda-construct'],
  'construct': ['infra', 'contract'],
  'index': ['construct'],
  'local': ['handlers', 'core', 'contract'],
  'client': ['contract'],
};

/** Areas that may import packages; the contract may not (it runs in the browser as it is). */
const NO_PACKAGES: readonly Area[] = ['contract'];

/** The area of a file path relative to src/. */
export function areaOf(file: string): Area {
  const f = file.split(path.sep).join('/');
  if (f === 'index.ts') return 'index';
  if (/^streaming-chatbot[^/]*\.ts$/.test(f)) return 'construct';
  const top = f.split('/')[0];
  if (top === 'handlers' && /-function\.ts$/.test(f)) return 'lambda-construct';
  if (['contract', 'core', 'handlers', 'infra', 'local', 'client'].includes(top)) return top as Area;
  throw new Error(`${file} is in no known area of src/: add it to the layering rules`);
}

/** The rule an edge breaks, or undefined. */
export function violation(edge: Edge): string | undefined {
  const from = areaOf(edge.from);
  if (edge.to === undefined) {
    return NO_PACKAGES.includes(from) ? `${edge.from} (${from}) imports the package "${edge.specifier}"; ${from} must stay dependency-free` : undefined;
  }
  const to = areaOf(edge.to);
  if (to === from || ALLOWED[from].includes(to)) return undefined;
  return `${edge.from} (${from}) imports ${edge.to} (${to}); ${from} may import only ${[from, ...ALLOWED[from]].join(', ')}`;
}

/** Every rule the edges break. */
export function violations(edges: readonly Edge[]): string[] {
  return edges.map(violation).filter((v): v is string => v !== undefined);
}

function resolve(fromFile: string, specifier: string, srcDir: string): string | undefined {
  const base = path.resolve(path.dirname(path.join(srcDir, fromFile)), specifier);
  // ESM-style specifiers name the emitted file (`./x.js` for `./x.ts`).
  const asTs = base.replace(/\.js$/, '.ts');
  for (const candidate of [base, `${base}.ts`, asTs, path.join(base, 'index.ts')]) {
    if (fs.existsSync(candidate) && fs.statSync(candidate).isFile()) return path.relative(srcDir, candidate);
  }
  throw new Error(`${fromFile}: cannot resolve "${specifier}"`);
}

/** Reads every import, export-from, require and dynamic import of the .ts files under `srcDir`. */
export function importGraph(srcDir: string): Edge[] {
  const edges: Edge[] = [];
  const walk = (dir: string): string[] => fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? walk(path.join(dir, d.name)) : d.name.endsWith('.ts') ? [path.join(dir, d.name)] : []);
  for (const file of walk(srcDir)) {
    const from = path.relative(srcDir, file);
    const info = ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true);
    for (const ref of info.importedFiles) {
      const specifier = ref.fileName;
      edges.push(specifier.startsWith('.') ? { from, to: resolve(from, specifier, srcDir), specifier } : { from, specifier });
    }
  }
  return edges;
}
