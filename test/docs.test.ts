/**
 * The documentation holds together: the README stays a page a newcomer finishes and keeps the two
 * commands CI and users type, every relative link in README.md and docs/*.md reaches an existing
 * file and heading, and every `docs/…` page or `PROTOCOL §N` section the code cites exists.
 */
import * as fs from 'fs';
import * as path from 'path';
import { isId, parseClientFrame } from '../src/contract/protocol';

const ROOT = path.join(__dirname, '..');
const DOCS = path.join(ROOT, 'docs');
const README = path.join(ROOT, 'README.md');

/** Markdown without fenced code blocks (their lines become empty, so line numbers stay). */
function withoutFences(text: string): string[] {
  let fenced = false;
  return text.split('\n').map((line) => {
    if (/^\s*(```|~~~)/.test(line)) {
      fenced = !fenced;
      return '';
    }
    return fenced ? '' : line;
  });
}

/** GitHub's heading anchor (github-slugger): lower case, punctuation dropped, spaces to hyphens. */
export function slug(heading: string): string {
  const text = heading
    .replace(/<[^>]+>/g, '')
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/[`*]/g, '')
    .trim()
    .toLowerCase();
  return text.replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '').replace(/ /g, '-');
}

/** Every anchor a Markdown file offers: heading slugs (with GitHub's -1, -2 for repeats) and explicit ids. */
export function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of withoutFences(markdown)) {
    const h = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (h) {
      const base = slug(h[1]);
      const n = seen.get(base) ?? 0;
      seen.set(base, n + 1);
      anchors.add(n === 0 ? base : `${base}-${n}`);
    }
    for (const m of line.matchAll(/<a\s[^>]*?\b(?:name|id)="([^"]+)"/g)) anchors.add(m[1]);
    for (const m of line.matchAll(/\bid="([^"]+)"/g)) anchors.add(m[1]);
  }
  return anchors;
}

/** The relative link targets of a Markdown file (outside code), with their line numbers. */
export function relativeLinks(markdown: string): Array<{ target: string; line: number }> {
  const links: Array<{ target: string; line: number }> = [];
  withoutFences(markdown).forEach((raw, i) => {
    const line = raw.replace(/`[^`]*`/g, '');
    for (const m of line.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      const target = m[1];
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:, …
      links.push({ target, line: i + 1 });
    }
  });
  return links;
}

/** The links of `file` that do not resolve, as `file:line → target (why)`. */
export function brokenLinks(file: string, read: (p: string) => string | undefined = readIfExists): string[] {
  const text = read(file) ?? '';
  const broken: string[] = [];
  for (const { target, line } of relativeLinks(text)) {
    const [rawPath, anchor] = target.split('#', 2) as [string, string | undefined];
    const resolved = rawPath === '' ? file : path.resolve(path.dirname(file), decodeURIComponent(rawPath));
    const where = `${path.relative(ROOT, file)}:${line} → ${target}`;
    const isDir = rawPath !== '' && fs.existsSync(resolved) && fs.statSync(resolved).isDirectory();
    const content = isDir ? '' : read(resolved);
    if (!isDir && content === undefined) {
      broken.push(`${where} (no such file)`);
      continue;
    }
    if (anchor !== undefined && anchor !== '') {
      if (!resolved.endsWith('.md')) {
        broken.push(`${where} (an anchor into a file that is not Markdown)`);
      } else if (!anchorsOf(content ?? '').has(anchor)) {
        broken.push(`${where} (no such heading)`);
      }
    }
  }
  return broken;
}

function readIfExists(p: string): string | undefined {
  try {
    return fs.statSync(p).isFile() ? fs.readFileSync(p, 'utf8') : undefined;
  } catch {
    return undefined;
  }
}

function docPages(): string[] {
  return fs.readdirSync(DOCS).filter((f) => f.endsWith('.md')).sort().map((f) => path.join(DOCS, f));
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules' && entry.name !== '__snapshots__') out.push(...sourceFiles(p));
    } else if (/\.(ts|js|css|html)$/.test(entry.name)) {
      out.push(p);
    }
  }
  return out;
}

describe('the link checker', () => {
  test('makes the anchors GitHub makes', () => {
    expect(slug('3. `/config.json`')).toBe('3-configjson');
    expect(slug('10. How a reply ends: `status` and `stopReason`')).toBe('10-how-a-reply-ends-status-and-stopreason');
    expect(slug('Limits chosen here')).toBe('limits-chosen-here');
    expect(slug('한국어 제목 (Korean)')).toBe('한국어-제목-korean');
    expect([...anchorsOf('# Tests\n## Tests\n```\n# not a heading\n```\n<a name="x" id="y"></a>')])
      .toEqual(['tests', 'tests-1', 'x', 'y']);
  });

  test('finds a missing file, a missing heading and ignores code and absolute URLs', () => {
    const files: Record<string, string> = {
      [path.join(ROOT, 'a.md')]: [
        '# Top',
        '[ok](b.md#there) [self](#top) [web](https://example.com/x.md)',
        '[gone](missing.md) [wrong](b.md#nowhere) `[in code](nope.md)`',
        '```',
        '[fenced](nope.md)',
        '```',
      ].join('\n'),
      [path.join(ROOT, 'b.md')]: '## There',
    };
    expect(brokenLinks(path.join(ROOT, 'a.md'), (p) => files[p])).toEqual([
      'a.md:3 → missing.md (no such file)',
      'a.md:3 → b.md#nowhere (no such heading)',
    ]);
  });
});

describe('README.md', () => {
  const readme = fs.readFileSync(README, 'utf8');

  test('is at most 300 lines', () => {
    expect(readme.split('\n').length).toBeLessThanOrEqual(300);
  });

  test('opens with the two commands a newcomer types, as they are typed', () => {
    const firstBlock = /^```[a-z]*\n([\s\S]*?)^```/m.exec(readme)?.[1] ?? '';
    const commands = firstBlock.split('\n').map((line) => line.replace(/#.*$/, '').trim()).filter(Boolean);
    expect(commands).toEqual(['npm ci && npm start', 'npm ci && npm test']);
  });

  test('links every page of docs/', () => {
    const linked = new Set(relativeLinks(readme).map((l) => path.resolve(ROOT, l.target.split('#')[0])));
    const missing = docPages().filter((p) => !linked.has(p)).map((p) => path.relative(ROOT, p));
    expect(missing).toEqual([]);
  });
});

test('every relative link in README.md and docs/*.md reaches an existing file and heading', () => {
  const broken = [README, ...docPages()].flatMap((f) => brokenLinks(f));
  expect(broken).toEqual([]);
});

test('every docs/ page and PROTOCOL section that the code cites exists', () => {
  const protocol = fs.readFileSync(path.join(DOCS, 'PROTOCOL.md'), 'utf8');
  const sections = new Set([...protocol.matchAll(/^##\s+(\d+)\.\s/gm)].map((m) => m[1]));
  const problems: string[] = [];
  for (const file of ['src', 'test', 'build-tools', 'examples'].flatMap((d) => sourceFiles(path.join(ROOT, d)))) {
    const text = fs.readFileSync(file, 'utf8');
    const where = path.relative(ROOT, file);
    for (const m of text.matchAll(/\bdocs\/([A-Z][A-Z0-9_-]*\.md)/g)) {
      if (!fs.existsSync(path.join(DOCS, m[1]))) problems.push(`${where}: docs/${m[1]} does not exist`);
    }
    for (const m of text.matchAll(/\bPROTOCOL(?:\.md)?\s*§\s*(\d+)/g)) {
      if (!sections.has(m[1])) problems.push(`${where}: PROTOCOL §${m[1]} does not exist`);
    }
  }
  expect(sections.size).toBeGreaterThanOrEqual(4);
  expect(problems).toEqual([]);
});

test('the frame examples of docs/PROTOCOL.md are frames of the contract', () => {
  const protocol = fs.readFileSync(path.join(DOCS, 'PROTOCOL.md'), 'utf8');
  const examples = protocol.split('\n').map((l) => l.trim()).filter((l) => /^\{"(action|type)":/.test(l));
  const problems: string[] = [];
  for (const line of examples) {
    const frame = JSON.parse(line) as Record<string, unknown>;
    if ('action' in frame) {
      const parsed = parseClientFrame(line);
      if (!parsed.ok) problems.push(`${line}: ${parsed.error.message}`);
    }
    for (const key of ['messageId', 'conversationId', 'replyId']) {
      if (key in frame && !isId(frame[key])) problems.push(`${line}: ${key} is not an id`);
    }
  }
  expect(examples.length).toBeGreaterThanOrEqual(20);
  expect(problems).toEqual([]);
});
