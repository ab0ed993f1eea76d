/**
 * Measures how smoothly a long streamed answer renders in real headless Chromium: time per
 * render and long tasks (> 50 ms) for the client's incremental renderer versus re-rendering the
 * whole answer on every delta. Numbers only (no thresholds); written to
 * test-output/render-smoothness.json and printed.
 *
 *   npx ts-node --transpile-only --project tsconfig.dev.json test/client/bench/render-smoothness.ts [--blocks] [--only=table]
 */
import * as fs from 'fs';
import * as path from 'path';
import { buildSync } from 'esbuild';
import { launch, OUTPUT_DIR } from '../lib/browser';

/** A long, realistic answer: headings, Korean prose, lists, a table and code blocks, repeated. */
function longAnswer(targetChars: number): string {
  const section = (i: number) => [
    `## ${i}. 스트리밍 렌더링 구간`,
    '',
    '이 답변은 렌더링 성능을 재기 위한 긴 마크다운입니다. **굵게**, *기울임*, `인라인 코드`, [링크](https://example.com) 를 포함합니다. '
      + 'The renderer must stay smooth while thousands of characters arrive in small pieces.',
    '',
    '- 첫째 항목: 목록은 새 항목이 올 때마다 다시 그려질 수 있습니다',
    '- second item with `code`',
    '  - nested item',
    '',
    '| 열 A | 열 B | 열 C |',
    '|---|---|---|',
    `| ${i} | 값 | value |`,
    '',
    '```ts',
    `export function section${i}(input: string): number {`,
    '  const words = input.split(/\\s+/).filter(Boolean);',
    '  return words.reduce((n, w) => n + w.length, 0);',
    '}',
    '```',
    '',
    '> 인용문: 모델 출력은 신뢰할 수 없으므로 항상 정화합니다.',
    '',
  ].join('\n');
  let text = '# 긴 답변\n\n';
  for (let i = 1; text.length < targetChars; i++) text += section(i);
  return text;
}

/** One long block after a short intro: `n` paragraphs, an `n`-line code fence or an `n`-row table. */
function longBlock(kind: 'paragraphs' | 'fence' | 'table', n: number): string {
  const intro = '# 긴 블록\n\n아래는 하나의 긴 블록입니다.\n\n';
  if (kind === 'paragraphs') return intro + Array.from({ length: n }, (_, i) => `문단 ${i}: 스트리밍 중인 답변의 한 문단입니다.`).join('\n\n') + '\n';
  if (kind === 'fence') return intro + '```ts\n' + Array.from({ length: n }, (_, i) => `const value${i} = compute(${i}, "문자열"); // ${i}`).join('\n') + '\n';
  return intro + '| # | 이름 | 값 |\n|---:|---|---|\n' + Array.from({ length: n }, (_, i) => `| ${i} | 항목 **${i}** | \`v${i}\` |`).join('\n') + '\n';
}

async function main(): Promise<void> {
  const bundle = buildSync({
    entryPoints: [path.join(__dirname, 'render-entry.ts')],
    bundle: true,
    write: false,
    format: 'iife',
    minify: true,
    platform: 'browser',
    target: 'chrome111',
  }).outputFiles[0].text;
  const css = fs.readFileSync(path.join(__dirname, '..', '..', '..', 'src', 'client', 'app.css'), 'utf8');
  const browser = await launch();
  try {
    const results: Record<string, unknown> = {};
    // A fresh page per scenario: the renderer keeps at most 5,000 timing entries per page.
    const measure = async (name: string, text: string, deltaChars: number, withNaive: boolean) => {
      const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
      await page.setContent(`<!doctype html><meta charset="utf-8"><style>${css}</style><div class="messages"><div id="host" class="message-list"></div></div>`);
      await page.addScriptTag({ content: bundle });
      results[name] = await page.evaluate(
        ([t, d, n]) => (window as unknown as { runRenderBench(t: string, d: number, n: boolean): Promise<unknown> }).runRenderBench(t, d, n),
        [text, deltaChars, withNaive] as const,
      );
      await page.close();
      // Written after every scenario, so a long run interrupted still leaves its numbers.
      fs.mkdirSync(OUTPUT_DIR, { recursive: true });
      fs.writeFileSync(path.join(OUTPUT_DIR, 'render-smoothness.json'), JSON.stringify({ chromium: browser.version(), results }, null, 2));
      type Figures = { meanMs: number; first10Ms: number; last10Ms: number; finishMs: number; maxMs: number; longTasks: number };
      const r = results[name] as { incremental: Figures };
      console.error(`render-smoothness: ${name}: per render first 10 ${r.incremental.first10Ms} ms, last 10 ${r.incremental.last10Ms} ms, `
        + `finish ${r.incremental.finishMs} ms, mean ${r.incremental.meanMs} ms, max ${r.incremental.maxMs} ms, long tasks ${r.incremental.longTasks}`);
    };
    // `--blocks` runs only the long-block scenarios below.
    for (const [chars, deltaChars] of process.argv.includes('--blocks') ? [] : [[20_000, 40], [60_000, 80]] as const) {
      const text = longAnswer(chars);
      await measure(`${text.length}chars_${deltaChars}perDelta`, text, deltaChars, true);
    }
    // Issue 14.10: one long block, left open (the stream ends inside it; finish() closes it);
    // compare first10Ms with last10Ms (the naive renderer is left out: it is quadratic).
    const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
    for (const [kind, n] of [['paragraphs', 2000], ['fence', 2000], ['table', 2000], ['table', 5000]] as const) {
      if (only && kind !== only) continue;
      await measure(`${kind}${n}_80perDelta`, longBlock(kind, n), 80, false);
    }
    const out = { chromium: browser.version(), measuredAt: new Date().toISOString(), results };
    fs.writeFileSync(path.join(OUTPUT_DIR, 'render-smoothness.json'), JSON.stringify(out, null, 2));
    console.log(JSON.stringify(out, null, 2));
  } finally {
    await browser.close();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
