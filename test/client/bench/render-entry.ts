/**
 * Browser side of the render-smoothness measurement: streams a long Markdown answer into the
 * client's own StreamingMarkdown (incremental) and, for comparison, into a naive renderer that
 * re-parses and re-sanitizes the whole answer on every delta. Bundled by render-smoothness.ts.
 */
import DOMPurify from 'dompurify';
// @ts-expect-error TS1479: marked is ESM-only; esbuild bundles it (see src/client/markdown.ts)
import { marked } from 'marked';
import { initLang } from '../../../src/client/i18n';
import { StreamingMarkdown } from '../../../src/client/markdown';

interface Result {
  renders: number;
  meanMs: number;
  p95Ms: number;
  maxMs: number;
  totalMs: number;
  longTasks: number;
  longTaskMs: number;
  /** Mean time of the first and of the last 10 streamed renders: growth inside one long block shows here. */
  first10Ms: number;
  last10Ms: number;
  /** The final full render (finish()). */
  finishMs: number;
}

function summarize(times: number[], longTasks: PerformanceEntry[]): Result {
  const sorted = [...times].sort((a, b) => a - b);
  const total = times.reduce((a, b) => a + b, 0);
  const mean = (xs: number[]) => +(xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length)).toFixed(3);
  return {
    renders: times.length,
    meanMs: +(total / Math.max(1, times.length)).toFixed(3),
    p95Ms: +(sorted[Math.floor(sorted.length * 0.95)] ?? 0).toFixed(3),
    maxMs: +(sorted[sorted.length - 1] ?? 0).toFixed(3),
    totalMs: +total.toFixed(1),
    longTasks: longTasks.length,
    longTaskMs: +longTasks.reduce((a, e) => a + e.duration, 0).toFixed(1),
    // The last render is finish(): a full render once at the end, reported apart.
    first10Ms: mean(times.slice(0, 10)),
    last10Ms: mean(times.slice(-11, -1)),
    finishMs: +(times[times.length - 1] ?? 0).toFixed(3),
  };
}

function nextFrame(): Promise<void> {
  return new Promise((r) => requestAnimationFrame(() => r()));
}

async function stream(text: string, deltaChars: number, render: (delta: string) => void): Promise<PerformanceEntry[]> {
  const longTasks: PerformanceEntry[] = [];
  const observer = new PerformanceObserver((list) => longTasks.push(...list.getEntries()));
  observer.observe({ type: 'longtask', buffered: false });
  for (let i = 0; i < text.length; i += deltaChars) {
    render(text.slice(i, i + deltaChars));
    await nextFrame();
  }
  await nextFrame();
  observer.disconnect();
  return longTasks;
}

/** Runs the client's renderer (and, unless `naive` is false, the naive one) over `text` and returns their numbers. */
async function run(text: string, deltaChars: number, withNaive = true):
Promise<{ incremental: Result; naive?: Result; chars: number; deltas: number }> {
  const host = document.getElementById('host')!;
  // The UI strings (a code block's Copy) come from the page language's table, loaded as the app loads it.
  await initLang();

  performance.clearMeasures('md-render');
  const md = new StreamingMarkdown();
  host.replaceChildren(md.element);
  const incLong = await stream(text, deltaChars, (d) => md.append(d));
  md.finish();
  const incremental = summarize(performance.getEntriesByName('md-render').map((e) => e.duration), incLong);
  if (!withNaive) return { incremental, chars: text.length, deltas: Math.ceil(text.length / deltaChars) };

  const naiveTimes: number[] = [];
  const naiveEl = document.createElement('div');
  host.replaceChildren(naiveEl);
  let sofar = '';
  const naiveLong = await stream(text, deltaChars, (d) => {
    sofar += d;
    const start = performance.now();
    naiveEl.replaceChildren(DOMPurify.sanitize(marked.parse(sofar, { async: false }) as string, { RETURN_DOM_FRAGMENT: true }));
    naiveTimes.push(performance.now() - start);
  });
  const naive = summarize(naiveTimes, naiveLong);
  return { incremental, naive, chars: text.length, deltas: Math.ceil(text.length / deltaChars) };
}

(window as unknown as { runRenderBench: typeof run }).runRenderBench = run;
